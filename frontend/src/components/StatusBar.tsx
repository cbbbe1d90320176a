import { db, getMeta } from '../db';
import { useLive } from '../db/live';
import { counts } from '../sync/outbox';
import { formatTime, t, useLocale } from '../i18n';
import { engine } from '../services';
import { useSyncState } from './useSync';

/** Always visible: what waits to be sent, what needs attention, when we last synced. */
export function StatusBar() {
  useLocale();
  const state = useSyncState();
  const c = useLive(() => counts(db), [], { pending: 0, rejected: 0 });
  const last = useLive(() => getMeta<string>(db, 'last_synced_at'), [state.lastSyncedAt], undefined);
  const initialDone = useLive(() => getMeta<boolean>(db, 'initial_sync_done'), [], true as boolean | undefined);
  const busy = state.phase !== 'idle';
  return (
    <div class="statusbar" role="status" aria-live="polite">
      <a href="#/sync" class="status-counts" data-testid="status-counts">
        <span class={c.pending ? 'badge warn' : 'badge ok'} data-testid="pending-count">
          {t('pending')}: {c.pending}
        </span>
        {c.rejected > 0 && (
          <span class="badge bad" data-testid="rejected-count">
            {t('needs_attention')}: {c.rejected}
          </span>
        )}
        <span class="muted" data-testid="last-synced">
          {busy ? t('syncing') : last ? `${t('last_synced')} ${formatTime(last)}` : t('never_synced')}
        </span>
      </a>
      <button type="button" class="icon-button" onClick={() => void engine.sync(true)} disabled={busy} aria-label={t('sync_now')} title={t('sync_now')}>
        ⟳
      </button>
      {!initialDone && state.phase === 'pulling' && (
        <div class="first-sync" data-testid="first-sync">
          <label>
            {t('first_sync')} — {t('first_sync_detail', { pages: state.pulledPages, changes: state.pulledChanges })}
            <progress max={state.pulledPages + 1} value={state.pulledPages} />
          </label>
        </div>
      )}
    </div>
  );
}
