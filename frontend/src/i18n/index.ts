import { useEffect, useState } from 'preact/hooks';
import { MESSAGES, type MessageKey } from './messages';

export type Locale = 'vi' | 'en';
const STORAGE_KEY = 'tungnha.locale';

function initialLocale(): Locale {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

let current: Locale = initialLocale();
const listeners = new Set<() => void>();

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale): void {
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: the choice lasts this session */
  }
  document.documentElement.lang = next;
  for (const fn of listeners) fn();
}

/** A message of any catalogue (this one, the dashboard's, the team's, the administration's) in the current
 * language, its `{name}` placeholders filled. */
export function fill(pair: readonly [string, string], params: Record<string, string | number> = {}): string {
  const text: string = pair[current === 'vi' ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''));
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return fill(MESSAGES[key], params);
}

const NUMBER = { vi: 'vi-VN', en: 'en-GB' } as const;

export function num(n: number): string {
  return n.toLocaleString(NUMBER[current]);
}

export function pct(n: number): string {
  return `${n.toLocaleString(NUMBER[current], { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`;
}

/** Re-render a component when the language changes. */
export function useLocale(): Locale {
  const [, setTick] = useState(0);
  useEffect(() => {
    const fn = () => setTick((n) => n + 1);
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  }, []);
  return current;
}

/** A label from the catalogue (skills, milestones) in the current language. */
export function label(item: { label_vi: string; label_en: string }): string {
  return current === 'vi' ? item.label_vi : item.label_en;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** dd/mm/yyyy, whatever the language (the glossary's one date format). */
export function formatDate(iso: string | Date | null | undefined): string {
  if (!iso) return '';
  const d = typeof iso === 'string' ? new Date(iso.length === 10 ? `${iso}T00:00:00` : iso) : iso;
  if (Number.isNaN(d.getTime())) return '';
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;
}

/** HH:mm, dd/mm/yyyy (24-hour clock). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}, ${formatDate(d)}`;
}

/** Why the server refused a mutation, in the volunteer's words: our own text for the common codes, else the server's. */
export function rejectionReason(error: { code: string; message: string; message_en: string } | undefined): string {
  const key = `reason_${error?.code ?? ''}`;
  if (key in MESSAGES) return t(key as MessageKey);
  return (current === 'vi' ? error?.message : error?.message_en || error?.message) || t('problem_server');
}
