import { useEffect, useState } from 'preact/hooks';
import { db, getMeta } from '../db';
import { useLive } from '../db/live';
import { counts, NO_COUNTS } from '../sync/outbox';
import { formatTime, t, useLocale } from '../i18n';
import { engine } from '../services';
import { useSyncState } from './useSync';

/** navigator.onLine, kept current by the online/offline events. */
export function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine !== false);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

/** What the volunteer must know at a glance: offline or server down, what waits, when we last synced. */
export function StatusBar() {
  useLocale();
  const state = useSyncState();
  const online = useOnline();
  const c = useLive(() => counts(db), [], NO_COUNTS);
  // The items listed under "Cần xử lý": refused ones and fixed resends not applied yet.
  const attention = c.rejected + c.resending;
  const last = useLive(() => getMeta<string>(db, 'last_synced_at'), [state.lastSyncedAt], undefined);
  const initialDone = useLive(() => getMeta<boolean>(db, 'initial_sync_done'), [], true as boolean | undefined);
  const loaded = useLive(() => db.households.count(), [state.pulledChanges], 0);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [pressed, setPressed] = useState(false);
  const busy = state.phase !== 'idle' || pressed;

  useEffect(() => {
    if (!result) return;
    const id = setTimeout(() => setResult(null), 5000);
    return () => clearTimeout(id);
  }, [result]);

  async function syncNow() {
    setPressed(true);
    setResult(null);
    try {
      await engine.sync(true);
    } finally {
      setPressed(false);
    }
    const p = engine.state.problem;
    const why = p === 'offline' && navigator.onLine !== false ? 'server' : p;
    setResult(why ? { ok: false, text: `${t('sync_failed_short')}: ${t(`result_${why}` as const)}` } : { ok: true, text: t('sync_done') });
  }

  const unreachable = online && !busy && (state.problem === 'offline' || state.problem === 'server' || state.problem === 'stalled');
  return (
    <div class="statusbar" role="status" aria-live="polite">
      <a href="#/sync" class="status-counts" data-testid="status-counts">
        <span class="status-line">
          {!online && (
            <span class="badge bad" data-testid="net-offline">
              {t('offline')}
            </span>
          )}
          {unreachable && (
            <span class="badge bad" data-testid="net-server">
              {t('server_unreachable')}
            </span>
          )}
          <span class={c.pending ? 'badge warn' : 'badge ok'} data-testid="pending-count" data-count={c.pending} hidden={!c.pending && (c.rejected > 0 || !initialDone)}>
            {c.pending ? t('pending_short', { n: c.pending }) : t('all_synced_short')}
          </span>
          {attention > 0 && (
            <span class="badge bad" data-testid="rejected-count">
              {t('needs_attention')}: {attention}
            </span>
          )}
        </span>
        <span class="status-time" data-testid="last-synced">
          {result ? (
            <span data-testid="sync-result" class={result.ok ? 'result ok' : 'result bad'}>
              {result.text}
            </span>
          ) : busy ? (
            t('syncing')
          ) : last ? (
            `${t('last_synced')} ${formatTime(last)}`
          ) : (
            t('never_synced')
          )}
        </span>
      </a>
      <button
        type="button"
        class={busy ? 'icon-button spin' : 'icon-button'}
        onClick={() => void syncNow()}
        disabled={busy}
        aria-label={t('sync_now')}
        title={t('sync_now')}
        data-testid="sync-button"
      >
        <span aria-hidden="true">⟳</span>
      </button>
      {!initialDone && (state.phase === 'pulling' || state.phase === 'pushing') && (
        <div class="first-sync" data-testid="first-sync">
          <span>
            {t('first_sync')} — {t('first_sync_households', { n: loaded })}
          </span>
          <progress aria-label={t('first_sync')} />
        </div>
      )}
    </div>
  );
}
