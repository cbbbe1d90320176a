// Report data for the dashboard: read online through the API client, kept in localStorage so the last
// figures of each unit stay readable offline. Only aggregate figures are kept — never the to-visit
// list, which names people.
import { ApiError, NetworkError } from '../api/client';
import type { CoverageFigures } from '../api/types';

export interface Loaded<T> {
  data: T;
  savedAt: number;
  offline: boolean;
}

interface Kept<T> {
  data: T;
  savedAt: number;
}

export interface Getter {
  get<T>(path: string): Promise<T>;
}

const PREFIX = 'tungnha.report:';
const MAX_KEPT = 40;

export class ReportCache {
  constructor(
    private storage: Storage,
    private max = MAX_KEPT,
  ) {}

  recall<T>(path: string): Kept<T> | null {
    try {
      const raw = this.storage.getItem(PREFIX + path);
      return raw ? (JSON.parse(raw) as Kept<T>) : null;
    } catch {
      return null;
    }
  }

  remember<T>(path: string, data: T, now = Date.now()): void {
    const value = JSON.stringify({ data, savedAt: now });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        this.storage.setItem(PREFIX + path, value);
        this.evict(this.max);
        return;
      } catch {
        // Storage full: drop the oldest half and try again; the figures are only a convenience copy.
        this.evict(Math.floor(this.keys().length / 2));
      }
    }
  }

  clear(): void {
    for (const key of this.keys()) this.storage.removeItem(key);
  }

  private keys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (key?.startsWith(PREFIX)) out.push(key);
    }
    return out;
  }

  private evict(keep: number): void {
    const aged = this.keys()
      .map((key) => {
        try {
          return { key, at: (JSON.parse(this.storage.getItem(key) ?? '{}') as Kept<unknown>).savedAt ?? 0 };
        } catch {
          return { key, at: 0 };
        }
      })
      .sort((a, b) => b.at - a.at);
    for (const { key } of aged.slice(keep)) this.storage.removeItem(key);
  }
}

/** Temporary failures (no network, server down) fall back to the kept copy; refusals never do. */
function temporary(e: unknown): boolean {
  return e instanceof NetworkError || (e instanceof ApiError && e.status >= 500);
}

export async function load<T>(api: Getter, cache: ReportCache, path: string, now = Date.now()): Promise<Loaded<T>> {
  try {
    const data = await api.get<T>(path);
    cache.remember(path, data, now);
    return { data, savedAt: now, offline: false };
  } catch (e) {
    const kept = temporary(e) ? cache.recall<T>(path) : null;
    if (kept) return { ...kept, offline: true };
    throw e;
  }
}

export function coveragePath(unitId: number, campaignId: number): string {
  return `/reports/coverage?unit_id=${unitId}&campaign_id=${campaignId}`;
}

export function progressPath(unitId: number, campaignId: number): string {
  return `/reports/progress?unit_id=${unitId}&campaign_id=${campaignId}`;
}

export function exportPath(kind: 'coverage' | 'progress' | 'to-visit', format: 'xlsx' | 'csv', unitId: number, campaignId: number): string {
  return `/reports/${kind}.${format}?unit_id=${unitId}&campaign_id=${campaignId}`;
}

/** The campaign to show first: one running now, else the latest started, else all time (0). */
export function defaultCampaign(items: { id: number; state: string; starts_on: string }[]): number {
  const running = items.find((c) => c.state === 'running');
  if (running) return running.id;
  const started = items.filter((c) => c.state === 'ended').sort((a, b) => b.starts_on.localeCompare(a.starts_on));
  return started[0]?.id ?? 0;
}

export type SortKey = 'name' | 'households' | 'visited_pct' | 'covered_pct' | 'people_proficient_all' | 'visits';

/** The ranking: child units by one column, ties broken by official code so the order never jumps. */
export function sortRows(rows: CoverageFigures[], key: SortKey, descending: boolean): CoverageFigures[] {
  const value = (r: CoverageFigures): number | string => (key === 'name' ? r.unit.name : r[key]);
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const order = typeof x === 'string' ? x.localeCompare(y as string, 'vi') : x - (y as number);
    return (descending ? -order : order) || a.unit.code.localeCompare(b.unit.code);
  });
}
