// Personal data in the officials' area (issue 15): a commune's households with the access request,
// withdrawal of consent and erasure, and the audit log of a unit. Every read here is logged server-side.
import { useState } from 'preact/hooks';
import { saveFile } from '../components/saveFile';
import { api } from '../services';
import { Busy, Problem, roleLabel, useAction, useGet } from './common';
import { a, day, num, parseDay, type AdminKey } from './messages';
import type { AuditPage, AuditRow, Erasure, HouseholdDetail, HouseholdPage, HouseholdRow, Me, Unit } from './types';

const PAGE = 50;
// The kinds the server writes (app/privacy/audit.py KIND_VI); an unknown one is shown as it is.
const KINDS = new Set(['coverage', 'progress', 'to_visit', 'households', 'household_search', 'household', 'household_data', 'flagged_visits', 'outbox_file', 'audit', 'erase', 'retention', 'withdrawn', 'given', 'create', 'update', 'area', 'deactivate', 'activate', 'reset']);
const CATEGORIES = ['export', 'named_read', 'erasure', 'access_request', 'consent', 'password_reset', 'user_change'] as const;

function consentLabel(h: HouseholdRow): string {
  if (h.erased) return a('erased');
  return a(`consent_${h.consent}` as AdminKey);
}

/** Officials above the commune, and admins, look households up one at a time (the server enforces it:
 * app/households/service.py search_only); the commune keeps its paged list. */
export function searchOnly(me: Me): boolean {
  return me.user.role === 'admin' || !me.unit || (me.unit.level !== 'commune' && me.unit.level !== 'hamlet');
}

const MIN_SEARCH = 3;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function HouseholdsSection({ unit, canErase, searchOnly }: { unit: Unit; canErase: boolean; searchOnly: boolean }) {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  // Shown above the list: an erased household leaves a search by its name, and its panel with it.
  const [done, setDone] = useState<string | null>(null);
  const params = new URLSearchParams({ unit_id: String(unit.id), limit: String(PAGE), offset: String(offset) });
  if (query) params.set('q', query);
  // Above the commune nothing is read before a search: no list of named households to page through.
  const page = useGet<HouseholdPage>(searchOnly && !query ? null : `/households?${params}`);
  return (
    <section data-testid="households" data-search-only={searchOnly ? 'true' : 'false'}>
      <h2>{a('households_title', { unit: unit.name })}</h2>
      {searchOnly ? (
        <p class="notice" data-testid="search-only-help">
          {a('households_search_only')}
        </p>
      ) : (
        <p class="muted">{a('households_help')}</p>
      )}
      <form
        class="search-row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const text = q.trim();
          const short = searchOnly && text.length < MIN_SEARCH && !UUID.test(text);
          setTooShort(short);
          if (short) return;
          setOffset(0);
          setQuery(text);
        }}
      >
        <input
          aria-label={searchOnly ? a('search_one_household') : a('search_households')}
          placeholder={searchOnly ? a('search_one_household') : a('search_households')}
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          data-testid="household-search"
        />
        <button type="submit" class="button">
          {a('search')}
        </button>
      </form>
      {tooShort && (
        <p class="notice warn" role="alert" data-testid="search-too-short">
          {a('search_too_short', { n: MIN_SEARCH })}
        </p>
      )}
      {done && (
        <p class="notice" role="status" data-testid="erase-done">
          {done}
        </p>
      )}
      {(query || !searchOnly) && (
        <Busy data={page.data} error={page.error} retry={page.reload}>
          {() => {
            const p = page.data!;
            return (
              <>
                <p class="muted small" data-testid="household-count">
                  {p.search_only ? a('search_found', { n: num(p.items.length), total: num(p.total) }) : a('household_count', { n: num(p.total) })}
                </p>
                {p.search_only && p.total > p.items.length && (
                  <p class="notice warn small" data-testid="search-capped">
                    {a('search_capped', { n: num(p.limit) })}
                  </p>
                )}
                <ul class="admin-list" data-testid="household-list">
                  {p.items.map((h) => (
                    <li key={h.id}>
                      <button type="button" class="admin-item" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
                        <span>{h.head_name || a('no_name')}</span>
                        <span class="muted small">
                          {[h.address, a(`source_${h.source}` as AdminKey), consentLabel(h)].filter(Boolean).join(' · ')}
                        </span>
                      </button>
                      {open === h.id && (
                        <HouseholdPanel
                          id={h.id}
                          canErase={canErase}
                          onChanged={(message) => {
                            setDone(message ?? null);
                            page.reload();
                          }}
                        />
                      )}
                    </li>
                  ))}
                </ul>
                {!p.search_only && <Pager offset={offset} total={p.total} onMove={setOffset} />}
              </>
            );
          }}
        </Busy>
      )}
    </section>
  );
}

function Pager({ offset, total, onMove }: { offset: number; total: number; onMove: (n: number) => void }) {
  if (total <= PAGE) return null;
  return (
    <div class="row">
      <button type="button" disabled={offset === 0} onClick={() => onMove(Math.max(0, offset - PAGE))}>
        {a('previous')}
      </button>
      <span class="muted small">{a('audit_page', { from: num(offset + 1), to: num(Math.min(total, offset + PAGE)), total: num(total) })}</span>
      <button type="button" disabled={offset + PAGE >= total} onClick={() => onMove(offset + PAGE)}>
        {a('next')}
      </button>
    </div>
  );
}

function HouseholdPanel({ id, canErase, onChanged }: { id: string; canErase: boolean; onChanged: (message?: string) => void }) {
  const detail = useGet<HouseholdDetail>(`/households/${id}`);
  const [run, line, busy] = useAction();
  const [erasing, setErasing] = useState(false);

  const download = (format: 'json' | 'xlsx') =>
    run(async () => {
      const { blob, filename } = await api.download(`/households/${id}/export?format=${format}`);
      saveFile(blob, filename);
    });

  const withdraw = async () => {
    if (!confirm(a('withdraw_confirm'))) return;
    if (await run(() => api.send('POST', `/households/${id}/consent`, { state: 'withdrawn' }), a('withdrawn_done'))) {
      detail.reload();
      onChanged();
    }
  };

  return (
    <div class="card" data-testid="household-panel">
      <Busy data={detail.data} error={detail.error} retry={detail.reload}>
        {() => {
          const h = detail.data!;
          return (
            <>
              <p>
                <strong>{h.head_name || a('no_name')}</strong>
                {h.address && ` · ${h.address}`}
                {h.phone && ` · ${h.phone}`}
              </p>
              <p class="muted small">
                {a(`source_${h.source}` as AdminKey)} · {consentLabel(h)}
              </p>
              {h.people.length > 0 && (
                <p class="small">
                  {a('people_of_household')}: {h.people.map((p) => p.full_name || a('no_name')).join(', ')}
                </p>
              )}
              <div class="row">
                <button type="button" disabled={busy} onClick={() => void download('xlsx')} data-testid="access-xlsx">
                  {a('access_xlsx')}
                </button>
                <button type="button" disabled={busy} onClick={() => void download('json')} data-testid="access-json">
                  {a('access_json')}
                </button>
                {!h.erased && h.consent !== 'withdrawn' && (
                  <button type="button" disabled={busy} onClick={() => void withdraw()} data-testid="withdraw">
                    {a('withdraw')}
                  </button>
                )}
                {canErase && !h.erased && (
                  <button type="button" class="danger" disabled={busy} onClick={() => setErasing(true)} data-testid="erase">
                    {a('erase')}
                  </button>
                )}
              </div>
              {line}
              {erasing && (
                <EraseForm
                  id={id}
                  onCancel={() => setErasing(false)}
                  onDone={(result) => {
                    setErasing(false);
                    detail.reload();
                    onChanged(a('erase_done', { people: num(result.people), visits: num(result.visits) }));
                  }}
                />
              )}
            </>
          );
        }}
      </Busy>
    </div>
  );
}

function EraseForm({ id, onCancel, onDone }: { id: string; onCancel: () => void; onDone: (result: Erasure) => void }) {
  const [reason, setReason] = useState('');
  const [word, setWord] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // "XÓA", also typed without its tone mark ("xoa"), as on a keyboard without Vietnamese input.
  const confirmed = word.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toUpperCase() === 'XOA';
  const ready = reason.trim().length >= 3 && confirmed;
  return (
    <form
      class="card"
      data-testid="erase-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!ready) return;
        setBusy(true);
        setError(null);
        try {
          onDone(await api.send<Erasure>('POST', `/households/${id}/erase`, { reason: reason.trim() }));
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3>{a('erase_title')}</h3>
      <p class="notice warn">{a('erase_help')}</p>
      <label>
        {a('erase_reason')}
        <input value={reason} maxLength={300} onInput={(e) => setReason(e.currentTarget.value)} data-testid="erase-reason" />
      </label>
      <label>
        {a('erase_confirm_word')}
        <input value={word} onInput={(e) => setWord(e.currentTarget.value)} data-testid="erase-word" />
      </label>
      <Problem error={error} />
      <div class="row">
        <button type="submit" class="danger" disabled={!ready || busy} data-testid="erase-go">
          {a('erase_go')}
        </button>
        <button type="button" onClick={onCancel}>
          {a('cancel')}
        </button>
      </div>
    </form>
  );
}

export function AuditSection() {
  const [category, setCategory] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [applied, setApplied] = useState<{ category: string; from: string; to: string }>({ category: '', from: '', to: '' });
  const [bad, setBad] = useState(false);
  const [offset, setOffset] = useState(0);
  const [run, line] = useAction();
  const filters = new URLSearchParams();
  if (applied.category) filters.set('category', applied.category);
  if (applied.from) filters.set('date_from', applied.from);
  if (applied.to) filters.set('date_to', applied.to);
  const page = useGet<AuditPage>(`/audit?${filters}&limit=${PAGE}&offset=${offset}`);

  const download = (format: 'xlsx' | 'csv') =>
    run(async () => {
      const { blob, filename } = await api.download(`/audit.${format}?${filters}`);
      saveFile(blob, filename);
    });

  return (
    <section data-testid="audit">
      <h2>{a('audit_title')}</h2>
      <p class="muted">{a('audit_help')}</p>
      <form
        class="search-row"
        onSubmit={(e) => {
          e.preventDefault();
          const f = from.trim() ? parseDay(from) : '';
          const t = to.trim() ? parseDay(to) : '';
          if (f === null || t === null) {
            setBad(true);
            return;
          }
          setBad(false);
          setOffset(0);
          setApplied({ category, from: f, to: t });
        }}
      >
        <label>
          {a('audit_category')}
          <select value={category} onChange={(e) => setCategory(e.currentTarget.value)} data-testid="audit-category">
            <option value="">{a('audit_all')}</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {a(`cat_${c}` as AdminKey)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {a('audit_from')}
          <input value={from} inputMode="numeric" onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          {a('audit_to')}
          <input value={to} inputMode="numeric" onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="submit" class="button">
          {a('audit_filter')}
        </button>
      </form>
      {bad && (
        <p class="notice bad" role="alert">
          {a('audit_bad_day')}
        </p>
      )}
      <div class="row">
        <button type="button" onClick={() => void download('xlsx')}>
          {a('audit_xlsx')}
        </button>
        <button type="button" onClick={() => void download('csv')}>
          {a('audit_csv')}
        </button>
      </div>
      {line}
      <Busy data={page.data} error={page.error} retry={page.reload}>
        {() => {
          const p = page.data!;
          if (!p.items.length) return <p class="muted">{a('no_results')}</p>;
          return (
            <>
              <div class="table-scroll">
                <table class="admin-table" data-testid="audit-table">
                  <thead>
                    <tr>
                      <th>{a('audit_when')}</th>
                      <th>{a('audit_category')}</th>
                      <th>{a('audit_who')}</th>
                      <th>{a('audit_unit')}</th>
                      <th>{a('audit_rows')}</th>
                      <th>{a('audit_reason')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((e) => (
                      <AuditLine key={e.id} e={e} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager offset={offset} total={p.total} onMove={setOffset} />
            </>
          );
        }}
      </Busy>
    </section>
  );
}

function when(iso: string): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Ho_Chi_Minh' });
  const date = d.toLocaleDateString('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' });
  return `${day(date)} ${time}`;
}

function AuditLine({ e }: { e: AuditRow }) {
  const who = e.user ? `${e.user.full_name} (${roleLabel(e.user.role)})` : a('audit_cli');
  const target = e.target_user ? ` → ${e.target_user.full_name}` : '';
  const kind = KINDS.has(e.kind) ? a(`akind_${e.kind}` as AdminKey) : e.kind;
  const what = [kind, e.file_format].filter(Boolean).join(' · ');
  return (
    <tr>
      <td>{when(e.created_at)}</td>
      <td>
        {a(`cat_${e.category}` as AdminKey)}
        <div class="muted small">
          {what}
          {target}
        </div>
      </td>
      <td>{who}</td>
      <td>{e.unit?.name ?? ''}</td>
      <td>{num(e.row_count)}</td>
      <td>{e.reason}</td>
    </tr>
  );
}
