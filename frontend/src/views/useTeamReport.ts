// The team leader's day, read online (GET /reports/volunteers): never kept on the phone, since the list
// of households left names people. Pages of households are appended as the leader asks for more.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { HouseholdLeft, VolunteersReport } from '../api/types';
import type { Campaign } from '../db/types';
import { localDay } from '../db/writes';
import { api } from '../services';

export type Reason = 'not_visited' | 'not_home' | 'declined' | 'not_covered';
export const REASONS: Reason[] = ['not_visited', 'not_home', 'declined', 'not_covered'];
export const PAGE = 20;

/** The campaign the team works on: the running one, else the latest started, else none (all time). */
export function reportCampaign(campaigns: Campaign[], today = new Date()): Campaign | null {
  const day = localDay(today);
  const started = campaigns.filter((c) => c.starts_on <= day).sort((a, b) => (a.starts_on < b.starts_on ? 1 : -1));
  return started.find((c) => day <= c.ends_on) ?? started[0] ?? null;
}

export function volunteersPath(campaignId: number, reason: Reason | null, offset: number): string {
  const q = new URLSearchParams({ campaign_id: String(campaignId), limit: String(PAGE), offset: String(offset) });
  if (reason) q.set('reason', reason);
  return `/reports/volunteers?${q}`;
}

export interface TeamReport {
  status: 'waiting' | 'loading' | 'done' | 'error';
  report: VolunteersReport | null;
  items: HouseholdLeft[];
  error: unknown;
  loadingMore: boolean;
  more: () => void;
  retry: () => void;
}

/** `campaignId` undefined: still looking it up on the phone. */
export function useTeamReport(campaignId: number | undefined, reason: Reason | null): TeamReport {
  const [nonce, setNonce] = useState(0);
  const [status, setStatus] = useState<TeamReport['status']>('waiting');
  const [report, setReport] = useState<VolunteersReport | null>(null);
  const [items, setItems] = useState<HouseholdLeft[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // The list being shown: a page asked for before the filter changed is dropped when it arrives.
  const shown = useRef('');

  useEffect(() => {
    if (campaignId === undefined) return;
    let live = true;
    shown.current = volunteersPath(campaignId, reason, 0);
    setStatus('loading');
    setError(null);
    api.get<VolunteersReport>(volunteersPath(campaignId, reason, 0)).then(
      (r) => {
        if (!live) return;
        setReport(r);
        setItems(r.households_left.items);
        setStatus('done');
      },
      (e: unknown) => {
        if (!live) return;
        setError(e);
        setStatus('error');
      },
    );
    return () => {
      live = false;
    };
  }, [campaignId, reason, nonce]);

  const more = () => {
    if (campaignId === undefined || loadingMore) return;
    const list = shown.current;
    setLoadingMore(true);
    api
      .get<VolunteersReport>(volunteersPath(campaignId, reason, items.length))
      .then(
        (r) => {
          if (shown.current !== list) return;
          setItems((old) => [...old, ...r.households_left.items.filter((h) => !old.some((o) => o.household_id === h.household_id))]);
        },
        (e: unknown) => {
          if (shown.current !== list) return;
          setError(e);
          setStatus('error');
        },
      )
      .finally(() => setLoadingMore(false));
  };
  return { status, report, items, error, loadingMore, more, retry: () => setNonce((n) => n + 1) };
}
