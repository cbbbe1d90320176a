import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from '../../src/api/client';
import { defaultCampaign, load, ReportCache, sortRows } from '../../src/dashboard/data';
import type { CoverageFigures } from '../../src/api/types';
import { parseRoute, href } from '../../src/router';

class MemoryStorage implements Storage {
  private map = new Map<string, string>();
  constructor(private limit = Infinity) {}
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
  setItem(key: string, value: string) {
    const used = [...this.map.values()].reduce((n, v) => n + v.length, 0) - (this.map.get(key)?.length ?? 0);
    if (used + value.length > this.limit) throw new DOMException('full', 'QuotaExceededError');
    this.map.set(key, value);
  }
}

const api = (answer: () => Promise<unknown>) => ({ get: <T,>() => answer() as Promise<T> });

describe('dashboard data', () => {
  it('keeps the last figures and serves them when the network is down, marked offline', async () => {
    const cache = new ReportCache(new MemoryStorage());
    const fresh = await load(api(async () => ({ households: 8 })), cache, '/reports/coverage?unit_id=1', 1000);
    expect(fresh).toEqual({ data: { households: 8 }, savedAt: 1000, offline: false });
    const kept = await load(api(async () => Promise.reject(new NetworkError())), cache, '/reports/coverage?unit_id=1', 2000);
    expect(kept).toEqual({ data: { households: 8 }, savedAt: 1000, offline: true });
  });

  it('never hides a refusal behind a saved copy', async () => {
    const cache = new ReportCache(new MemoryStorage());
    cache.remember('/reports/coverage?unit_id=2', { households: 1 });
    const refused = load(api(async () => Promise.reject(new ApiError(403, 'outside_your_area', 'ngoài địa bàn'))), cache, '/reports/coverage?unit_id=2');
    await expect(refused).rejects.toMatchObject({ code: 'outside_your_area' });
    await expect(load(api(async () => Promise.reject(new NetworkError())), cache, '/other')).rejects.toBeInstanceOf(NetworkError);
  });

  it('keeps at most the newest reports and survives a full storage', () => {
    const storage = new MemoryStorage(400);
    const cache = new ReportCache(storage, 3);
    for (let i = 0; i < 6; i++) cache.remember(`/r/${i}`, { n: 'x'.repeat(50) }, i);
    expect(cache.recall('/r/5')).not.toBeNull();
    expect(cache.recall('/r/0')).toBeNull();
    expect(storage.length).toBeLessThanOrEqual(3);
    cache.clear();
    expect(storage.length).toBe(0);
  });

  it('ranks child units by a column, ties by official code', () => {
    const row = (code: string, name: string, covered: number) =>
      ({ unit: { id: Number(code), code, name, level: 'district' }, covered_pct: covered, households: 10 }) as CoverageFigures;
    const rows = [row('935', 'Huyện Vị Thuỷ', 10), row('930', 'Thành phố Vị Thanh', 20), row('931', 'Thị xã Ngã Bảy', 10)];
    expect(sortRows(rows, 'covered_pct', true).map((r) => r.unit.code)).toEqual(['930', '931', '935']);
    expect(sortRows(rows, 'name', false).map((r) => r.unit.code)).toEqual(['935', '930', '931']);
  });

  it('opens the running campaign first, else the latest ended, else all time', () => {
    expect(defaultCampaign([{ id: 1, state: 'ended', starts_on: '2024-10-01' }, { id: 2, state: 'running', starts_on: '2025-10-01' }])).toBe(2);
    expect(defaultCampaign([{ id: 1, state: 'ended', starts_on: '2024-10-01' }, { id: 3, state: 'ended', starts_on: '2025-03-01' }, { id: 4, state: 'upcoming', starts_on: '2026-01-01' }])).toBe(3);
    expect(defaultCampaign([])).toBe(0);
  });

  it('routes #/dashboard/<unit>/<campaign> both ways', () => {
    expect(parseRoute('#/dashboard')).toEqual({ name: 'dashboard', unitId: undefined, campaignId: undefined });
    expect(parseRoute('#/dashboard/93/2')).toEqual({ name: 'dashboard', unitId: 93, campaignId: 2 });
    expect(href({ name: 'dashboard', unitId: 93, campaignId: 0 })).toBe('#/dashboard/93/0');
    expect(href({ name: 'dashboard' })).toBe('#/dashboard');
  });
});
