process.env.TZ = 'Asia/Ho_Chi_Minh';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGES as APP } from '../../src/i18n/messages';
import { MESSAGES as DASHBOARD } from '../../src/dashboard/messages';
import { MESSAGES as TEAM } from '../../src/views/teamMessages';
import { formatDate, formatTime } from '../../src/i18n';

// The volunteer bundle's catalogue and the ones that live in their screens' chunks.
const MESSAGES: Record<string, readonly string[]> = {
  ...APP,
  ...Object.fromEntries(Object.entries(DASHBOARD).map(([k, v]) => [`dashboard.${k}`, v])),
  ...Object.fromEntries(Object.entries(TEAM).map(([k, v]) => [`team.${k}`, v])),
};
const vi = Object.entries(MESSAGES).map(([key, [text]]) => [key, text as string] as const);

describe('the message catalogue speaks with one voice (GLOSSARY.md)', () => {
  it('uses one term per idea', () => {
    const forbidden = [/Đã phủ/i, /Không có nhà/i, /Huỷ/, /\bnetwork\b/i, /Bad Gateway/i];
    const found = vi.filter(([, text]) => forbidden.some((re) => re.test(text)));
    expect(found).toEqual([]);
  });

  it('puts the tone mark of an open oa/oe/uy on the first vowel (hòa, khỏe, thủy, hủy)', () => {
    // "toán", "hoàn", "quý" are right: a final consonant (or qu-) moves the mark.
    const misplaced = /(?<!q)(o[áàảãạ]|o[éèẻẽẹ]|u[ýỳỷỹỵ])(?!\p{L})/iu;
    const found = vi.filter(([, text]) => misplaced.test(text));
    expect(found).toEqual([]);
    expect(misplaced.test('Hủy')).toBe(false);
    expect(misplaced.test('Huỷ')).toBe(true);
    expect(misplaced.test('xoá')).toBe(true);
    expect(misplaced.test('toán')).toBe(false);
  });

  it('holds every screen to the same rules, dashboard and administration included (not only this catalogue)', () => {
    const root = join(__dirname, '../../src');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
      });
    // The generated API types quote the server's docstrings, which show the old forms that search accepts.
    const sources = files(root).filter((f) => !f.endsWith('schema.d.ts'));
    expect(sources.length).toBeGreaterThan(40);
    const misplaced = /(?<!q)(o[áàảãạ]|o[éèẻẽẹ]|u[ýỳỷỹỵ])(?!\p{L})/iu;
    const terms = [/Đã phủ/i, /Không có nhà/i, /Huỷ/];
    const found = sources.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => [`${relative(root, f)}:${i + 1}`, line] as const)
        .filter(([, line]) => misplaced.test(line) || terms.some((re) => re.test(line))),
    );
    expect(found).toEqual([]);
  });

  it('has every message in Vietnamese and English', () => {
    for (const [key, pair] of Object.entries(MESSAGES)) {
      expect(pair.length, key).toBe(2);
      expect(pair[0].trim(), key).not.toBe('');
      expect(pair[1].trim(), key).not.toBe('');
    }
  });

  it('writes dates dd/mm/yyyy and times HH:mm', () => {
    expect(formatDate('2024-10-02')).toBe('02/10/2024');
    expect(formatTime('2024-10-02T09:05:00+07:00')).toBe('09:05, 02/10/2024');
  });
});
