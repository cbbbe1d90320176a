// A phone's exported outbox (Đồng bộ → Xuất dữ liệu chưa đồng bộ), loaded by an official: what it holds,
// then applied once through the server's push path (loading the same file again changes nothing).
import { useState } from 'preact/hooks';
import { locale } from '../i18n';
import { api } from '../services';
import { localPhone, Problem } from './common';
import { a, num } from './messages';
import type { OutboxApplied, OutboxPreview } from './types';

const KINDS: Record<string, 'kind_household' | 'kind_person' | 'kind_visit' | 'kind_consent'> = {
  'household.upsert': 'kind_household',
  'household.consent': 'kind_consent',
  'person.upsert': 'kind_person',
  'visit.create': 'kind_visit',
};

function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(locale() === 'vi' ? 'vi-VN' : 'en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function OutboxSection() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<OutboxPreview | null>(null);
  const [applied, setApplied] = useState<OutboxApplied | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const form = () => {
    const data = new FormData();
    data.append('file', file!);
    return data;
  };

  async function run<T>(path: string, done: (out: T) => void) {
    setBusy(true);
    setError(null);
    try {
      done(await api.upload<T>(path, form()));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const count = (status: string) => applied?.counts[status] ?? 0;
  return (
    <section>
      <h2>{a('outbox_title')}</h2>
      <p class="muted small">{a('outbox_help')}</p>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(null);
          if (file) void run<OutboxPreview>('/sync/outbox/preview', setPreview);
        }}
      >
        <label>
          {a('outbox_file')}
          <input
            type="file"
            name="outbox"
            accept=".json,application/json"
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setPreview(null);
              setApplied(null);
            }}
          />
        </label>
        <button type="submit" class="primary" disabled={!file || busy}>
          {a('preview')}
        </button>
      </form>
      <Problem error={error} />
      {preview && (
        <div class="card" data-testid="outbox-preview">
          <p>
            <strong>{a('outbox_summary', { name: preview.volunteer.full_name, phone: localPhone(preview.volunteer.phone), at: when(preview.exported_at), n: num(preview.total) })}</strong>
          </p>
          <ul>
            {Object.entries(preview.counts).map(([kind, n]) => (
              <li key={kind}>
                {KINDS[kind] ? a(KINDS[kind]) : kind}: {num(n)}
              </li>
            ))}
          </ul>
          <p>{a('outbox_already', { already: num(preview.already_applied), to_apply: num(preview.to_apply) })}</p>
          {preview.households.length > 0 && (
            <details>
              <summary>{a('outbox_households', { n: num(preview.household_count) })}</summary>
              <ul class="small">
                {preview.households.map((h) => (
                  <li key={h.household_id}>{[h.head_name, h.address].filter(Boolean).join(', ') || a('outbox_unknown_household')}</li>
                ))}
              </ul>
            </details>
          )}
          {!applied && (
            <button type="button" class="primary" disabled={busy} onClick={() => void run<OutboxApplied>('/sync/outbox/apply', setApplied)}>
              {a('apply')}
            </button>
          )}
        </div>
      )}
      {applied && (
        <div class="card" role="status" data-testid="outbox-result">
          <p>
            <strong>{a('outbox_applied', { applied: count('applied'), duplicate: count('duplicate'), rejected: count('rejected') })}</strong>
          </p>
          {count('retry') > 0 && <p class="notice warn">{a('outbox_retry', { n: count('retry') })}</p>}
          <ul class="small">
            {applied.results
              .filter((r) => r.status === 'rejected')
              .map((r) => (
                <li key={r.seq}>
                  #{r.seq}: {(locale() === 'vi' ? r.message : r.message_en || r.message) ?? r.code}
                </li>
              ))}
          </ul>
        </div>
      )}
    </section>
  );
}
