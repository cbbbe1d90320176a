import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../api/client';
import { db, getMeta, type OutboxEntry } from '../db';
import { useLive } from '../db/live';
import { counts, discard, exportOutbox, requeue } from '../sync/outbox';
import { formatTime, locale, setLocale, t, useLocale } from '../i18n';
import { MESSAGES, type MessageKey } from '../i18n/messages';
import { href } from '../router';
import { saveFile } from '../components/saveFile';
import { useSyncState } from '../components/useSync';
import { engine } from '../services';

export function downloadJson(name: string, value: unknown): void {
  saveFile(new Blob([JSON.stringify(value, null, 1)], { type: 'application/json' }), name);
}

export async function exportToFile(session: Session): Promise<void> {
  const file = await exportOutbox(db, session.user.phone);
  const stamp = file.exported_at.replace(/[:.]/g, '-');
  downloadJson(`tungnha-chua-dong-bo-${stamp}.json`, file);
}

function kindLabel(e: OutboxEntry): string {
  return e.kind === 'household.upsert' ? t('kind_household') : e.kind === 'person.upsert' ? t('kind_person') : t('kind_visit');
}

type EntryData = { head_name?: string; address?: string; household_id?: string; full_name?: string | null; visited_at?: string; outcome?: string };

/** The household an entry is about, in words the volunteer knows: the head's name and the address. */
async function householdOf(e: OutboxEntry): Promise<string> {
  const d = e.data as EntryData;
  if (e.kind === 'household.upsert') return [d.head_name, d.address].filter(Boolean).join(', ');
  if (e.label) return e.label;
  const h = d.household_id ? await db.households.get(d.household_id) : undefined;
  return h ? [h.head_name, h.address].filter(Boolean).join(', ') : '';
}

function what(e: OutboxEntry): string {
  const d = e.data as EntryData;
  if (e.kind === 'person.upsert') return d.full_name ?? t('unnamed_person');
  if (e.kind === 'visit.create') return [formatTime(d.visited_at), d.outcome ? t(`outcome_${d.outcome}` as 'outcome_met') : ''].filter(Boolean).join(' · ');
  return '';
}

/** The reason in the volunteer's words: our own explanation for the common codes, else the server's. */
function reason(e: OutboxEntry, loc: string): string {
  const key = `reason_${e.error?.code ?? ''}` as MessageKey;
  if (key in MESSAGES) return t(key);
  return (loc === 'vi' ? e.error?.message : e.error?.message_en || e.error?.message) || t('problem_server');
}

async function loadRejected() {
  const entries = await db.outbox.where('state').equals('rejected').toArray();
  return Promise.all(entries.map(async (e) => ({ e, household: await householdOf(e) })));
}

function RejectedItem({ e, household, loc }: { e: OutboxEntry; household: string; loc: string }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <li class="card rejected-item" data-testid="rejected-item">
      <h3>{household || kindLabel(e)}</h3>
      <p class="small">
        <strong>{kindLabel(e)}</strong> {what(e)}
      </p>
      <p class="notice bad" data-testid="rejected-reason">
        <strong>{t('reason')}:</strong> {reason(e, loc)}
      </p>
      {confirming ? (
        <div class="confirm-row" role="alertdialog" aria-label={t('discard_confirm')}>
          <span>{t('discard_confirm')}</span>
          <button type="button" class="danger" onClick={() => void discard(db, e.seq)}>
            {t('discard_really')}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            {t('cancel')}
          </button>
        </div>
      ) : (
        <div class="row">
          {e.kind === 'household.upsert' ? (
            <a href={href({ name: 'edit', id: e.id, fix: e.seq })} class="button primary">
              {t('fix_household')}
            </a>
          ) : (
            <button
              type="button"
              class="primary"
              onClick={async () => {
                await requeue(db, e.seq);
                void engine.sync(true);
              }}
            >
              {t('resend')}
            </button>
          )}
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            {t('discard')}
          </button>
        </div>
      )}
    </li>
  );
}

export function SyncStatusPage({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const loc = useLocale();
  const state = useSyncState();
  const c = useLive(() => counts(db), [], { pending: 0, rejected: 0 });
  const rejected = useLive(loadRejected, [], [] as Awaited<ReturnType<typeof loadRejected>>);
  const last = useLive(() => getMeta<string>(db, 'last_synced_at'), [state.lastSyncedAt], undefined);
  const [message, setMessage] = useState<string | null>(null);
  const [persisted, setPersisted] = useState<boolean | null>(null);
  const [usage, setUsage] = useState<string | null>(null);

  useEffect(() => {
    void navigator.storage?.persisted?.().then(setPersisted);
    void navigator.storage?.estimate?.().then((e) => {
      if (e.usage !== undefined) setUsage(`${(e.usage / 1_048_576).toFixed(1)} MB`);
    });
  }, []);

  async function logout() {
    const n = c.pending + c.rejected;
    if (n > 0) {
      setMessage(t('logout_refused', { n }));
      return;
    }
    if (!confirm(t('logout_confirm'))) return;
    onLogout();
  }

  const problem = state.problem ? t(`problem_${state.problem}` as const) : null;
  return (
    <main class="page sync">
      <h1>{t('sync_title')}</h1>
      <p data-testid="sync-summary">
        <strong>{c.pending ? t('pending_count', { n: c.pending }) : c.rejected ? t('sent_but_attention', { n: c.rejected }) : t('all_sent')}</strong>
        <br />
        {last ? `${t('last_synced')} ${formatTime(last)}` : t('never_synced')}
      </p>
      {problem && (
        <p class={state.problem === 'offline' || state.problem === 'server' ? 'notice warn' : 'notice bad'} role="alert" data-testid="sync-problem">
          {problem}
          {state.nextAttemptAt && ` ${t('next_try')} ${formatTime(new Date(state.nextAttemptAt).toISOString())}.`}
          {state.problem === 'update_required' && (
            <button type="button" class="primary" onClick={() => location.reload()}>
              {t('reload')}
            </button>
          )}
        </p>
      )}
      <button type="button" class="primary big" onClick={() => void engine.sync(true)} disabled={state.phase !== 'idle'} data-testid="sync-now">
        {state.phase !== 'idle' ? t('syncing') : t('sync_now')}
      </button>

      {rejected.length > 0 && (
        <section data-testid="needs-attention">
          <h2>{t('attention_count', { n: rejected.length })}</h2>
          <p class="small">{t('rejected_help')}</p>
          <ul class="rejected">
            {rejected.map(({ e, household }) => (
              <RejectedItem key={e.seq} e={e} household={household} loc={loc} />
            ))}
          </ul>
        </section>
      )}

      <h2>{t('export')}</h2>
      <p class="small">{t('export_help')}</p>
      <button type="button" class="big" onClick={() => void exportToFile(session)} data-testid="export">
        {t('export')} ({c.pending + c.rejected})
      </button>

      <h2>{t('account')}</h2>
      <p>
        {session.user.full_name} · {session.user.phone}
      </p>
      {usage && (
        <p class="small">
          {t('storage')}: {usage}
          {persisted ? ` · ${t('storage_persisted')}` : ''}
        </p>
      )}
      <label class="inline">
        {t('language')}{' '}
        <select value={locale()} onChange={(e) => setLocale(e.currentTarget.value as 'vi')}>
          <option value="vi">Tiếng Việt</option>
          <option value="en">English</option>
        </select>
      </label>
      {message && (
        <p class="notice bad" role="alert" data-testid="logout-refused">
          {message}
        </p>
      )}
      <button type="button" class="big" onClick={logout} data-testid="logout">
        {t('logout')}
      </button>
    </main>
  );
}
