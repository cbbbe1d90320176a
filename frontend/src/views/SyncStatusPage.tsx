import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../api/client';
import { db, getMeta, type OutboxEntry } from '../db';
import { useLive } from '../db/live';
import { counts, discard, exportOutbox, needsAttention, NO_COUNTS, requeue } from '../sync/outbox';
import { formatTime, locale, rejectionReason, setLocale, t, useLocale } from '../i18n';
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
  if (e.kind === 'household.consent') return t('kind_consent');
  return e.kind === 'household.upsert' ? t('kind_household') : e.kind === 'person.upsert' ? t('kind_person') : t('kind_visit');
}

type EntryData = { head_name?: string; address?: string; household_id?: string; full_name?: string | null; visited_at?: string; outcome?: string; state?: string };

/** The household an entry is about, in words the volunteer knows: the head's name and the address. */
async function householdOf(e: OutboxEntry): Promise<string> {
  const d = e.data as EntryData;
  if (e.kind === 'household.upsert') return [d.head_name, d.address].filter(Boolean).join(', ');
  if (e.label) return e.label;
  const hid = e.kind === 'household.consent' ? e.id : d.household_id;
  const h = hid ? await db.households.get(hid) : undefined;
  return h ? [h.head_name, h.address].filter(Boolean).join(', ') : '';
}

function what(e: OutboxEntry): string {
  const d = e.data as EntryData;
  if (e.kind === 'person.upsert') return d.full_name ?? t('unnamed_person');
  if (e.kind === 'household.consent') return d.state === 'withdrawn' ? t('consent_state_withdrawn') : t('consent_give');
  if (e.kind === 'visit.create') return [formatTime(d.visited_at), d.outcome ? t(`outcome_${d.outcome}` as 'outcome_met') : ''].filter(Boolean).join(' · ');
  return '';
}

/** "Cần xử lý": what the server refused, and what was fixed and resent but is not applied yet. */
async function loadAttention() {
  const entries = await needsAttention(db);
  return Promise.all(
    entries.map(async (e) => {
      const d = e.data as EntryData;
      // A visit can be corrected in its form while its household is on the phone.
      const onPhone = e.kind === 'visit.create' && !!d.household_id && !!(await db.households.get(d.household_id));
      return { e, household: await householdOf(e), editable: onPhone };
    }),
  );
}

function RejectedItem({ e, household, editable }: { e: OutboxEntry; household: string; editable: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const resending = e.state === 'pending';
  return (
    <li class="card rejected-item" data-testid="rejected-item" data-state={resending ? 'resending' : 'rejected'}>
      <h3>{household || kindLabel(e)}</h3>
      <p class="small">
        <strong>{kindLabel(e)}</strong> {what(e)}
      </p>
      <p class="notice bad" data-testid="rejected-reason">
        <strong>{t('reason')}:</strong> {rejectionReason(resending ? e.fixes?.error : e.error)}
      </p>
      {resending ? (
        <p class="notice warn" data-testid="resend-waiting">
          {t('resend_waiting')}
        </p>
      ) : confirming ? (
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
          ) : e.kind === 'visit.create' ? (
            editable && (
              <a href={href({ name: 'visit', id: (e.data as EntryData).household_id!, fix: e.seq })} class="button primary">
                {t('fix_visit')}
              </a>
            )
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
  useLocale();
  const state = useSyncState();
  const c = useLive(() => counts(db), [], NO_COUNTS);
  const attention = useLive(loadAttention, [], [] as Awaited<ReturnType<typeof loadAttention>>);
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

      {attention.length > 0 && (
        <section data-testid="needs-attention">
          <h2>{t('attention_count', { n: attention.length })}</h2>
          <p class="small">{t('rejected_help')}</p>
          <ul class="rejected">
            {attention.map(({ e, household, editable }) => (
              <RejectedItem key={e.seq} e={e} household={household} editable={editable} />
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
