// A phone's exported outbox (Đồng bộ → Xuất dữ liệu chưa đồng bộ), loaded by an official: what it holds,
// then applied once through the server's push path.
import { useState } from 'preact/hooks';
import { locale } from '../i18n';
import { api } from '../services';
import { Problem } from './common';
import { a, num } from './messages';

type Exported = { user_phone?: string; exported_at?: string; mutations?: { kind?: string }[] };
type Result = { seq?: number; id?: string; status: string; code?: string | null; message?: string | null; message_en?: string | null };
type Applied = { results?: Result[] };

const KINDS: Record<string, 'kind_household' | 'kind_person' | 'kind_visit'> = {
  'household.upsert': 'kind_household',
  'person.upsert': 'kind_person',
  'visit.create': 'kind_visit',
};

function when(iso: string | undefined): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString(locale() === 'vi' ? 'vi-VN' : 'en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function OutboxSection() {
  const [file, setFile] = useState<File | null>(null);
  const [local, setLocal] = useState<Exported | null>(null);
  const [server, setServer] = useState<Record<string, unknown> | null>(null);
  const [applied, setApplied] = useState<Result[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const form = () => {
    const data = new FormData();
    data.append('file', file!);
    return data;
  };

  async function preview(e: Event) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setApplied(null);
    try {
      setLocal(JSON.parse(await file.text()) as Exported);
      setServer(await api.upload<Record<string, unknown>>('/sync/outbox/preview', form()));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function apply() {
    setBusy(true);
    setError(null);
    try {
      const out = await api.upload<Applied>('/sync/outbox/apply', form());
      setApplied(out.results ?? []);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const byKind = new Map<string, number>();
  for (const m of local?.mutations ?? []) byKind.set(m.kind ?? '', (byKind.get(m.kind ?? '') ?? 0) + 1);
  const count = (status: string) => (applied ?? []).filter((r) => r.status === status).length;

  return (
    <section>
      <h2>{a('outbox_title')}</h2>
      <p class="muted small">{a('outbox_help')}</p>
      <form class="card" onSubmit={preview}>
        <label>
          {a('outbox_file')}
          <input
            type="file"
            name="outbox"
            accept=".json,application/json"
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setLocal(null);
              setServer(null);
              setApplied(null);
            }}
          />
        </label>
        <button type="submit" class="primary" disabled={!file || busy}>
          {a('preview')}
        </button>
      </form>
      <Problem error={error} />
      {local && (
        <div class="card" data-testid="outbox-preview">
          <p>{a('outbox_summary', { phone: local.user_phone ?? '?', at: when(local.exported_at), n: num(local.mutations?.length ?? 0) })}</p>
          <ul>
            {[...byKind].map(([kind, n]) => (
              <li key={kind}>
                {KINDS[kind] ? a(KINDS[kind]) : kind}: {num(n)}
              </li>
            ))}
          </ul>
          {server && (
            <dl class="small">
              {Object.entries(server)
                .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
                .map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{String(v)}</dd>
                  </div>
                ))}
            </dl>
          )}
          {!applied && (
            <button type="button" class="primary" disabled={busy} onClick={() => void apply()}>
              {a('apply')}
            </button>
          )}
        </div>
      )}
      {applied && (
        <div class="card" role="status" data-testid="outbox-result">
          <p>{a('outbox_applied', { applied: count('applied'), duplicate: count('duplicate'), rejected: count('rejected') })}</p>
          <ul class="small">
            {applied
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
