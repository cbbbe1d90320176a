// The household import wizard: file → preview (status and warnings per row, filters, row choice,
// columns to map) → commit → summary and the error report. The file goes with every request: the
// server keeps nothing between preview and commit; the preview's token proves it is the same file.
import { useMemo, useState } from 'preact/hooks';
import { saveFile } from '../components/saveFile';
import { locale } from '../i18n';
import { api } from '../services';
import { localPhone, Problem } from './common';
import { a, num, type AdminKey } from './messages';
import { compactRows } from './selection';
import type { ImportCommit, ImportPreview, ImportRow, Unit } from './types';

const STATUSES = ['new', 'duplicate', 'already_imported', 'error'] as const;
const FIELDS = ['head_name', 'address', 'house_number', 'group', 'phone', 'member_count', 'hamlet', 'birth_year', 'note'] as const;
const SHOWN_ROWS = 300;
const SKIP_REASONS = ['blank', 'total', 'formula', 'column_numbers', 'header', 'no_data'];

type Filter = 'all' | 'warnings' | (typeof STATUSES)[number];

function message(item: { message?: string; message_en?: string }): string {
  return (locale() === 'vi' ? item.message : item.message_en || item.message) ?? '';
}

/** What commit's `rows` names a row by: the preview's key ("<sheet>:<row>"), else its number. */
const rowKey = (r: ImportRow) => r.key ?? String(r.row);

export function ImportSection({ commune }: { commune: Unit }) {
  const [file, setFile] = useState<File | null>(null);
  const [fromFile, setFromFile] = useState(false);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState<Filter>('all');
  const [result, setResult] = useState<ImportCommit | null>(null);
  const [busy, setBusy] = useState<null | 'preview' | 'commit'>(null);
  const [error, setError] = useState<unknown>(null);

  function form(extra: Record<string, string> = {}): FormData {
    const data = new FormData();
    data.append('file', file!);
    const map = Object.fromEntries(Object.entries(mapping).filter(([, field]) => field));
    if (Object.keys(map).length) data.append('column_map', JSON.stringify(map));
    for (const [k, v] of Object.entries(extra)) data.append(k, v);
    return data;
  }
  const query = () => (fromFile ? '' : `?commune_id=${commune.id}`);

  async function runPreview(e?: Event) {
    e?.preventDefault();
    if (!file) return;
    setBusy('preview');
    setError(null);
    setResult(null);
    try {
      const out = await api.upload<ImportPreview>(`/households/import/preview${query()}`, form());
      setPreview(out);
      setChosen(new Set(out.rows.filter((r) => r.status === 'new').map(rowKey)));
      setFilter('all');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  async function commit() {
    if (!preview || !chosen.size) return;
    setBusy('commit');
    setError(null);
    try {
      const out = await api.upload<ImportCommit>(`/households/import/commit${query()}`, form({ rows: compactRows([...chosen]), token: preview.token }));
      setResult(out);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  async function errorReport() {
    try {
      const { blob, filename } = await api.download(`/households/import/errors.xlsx${query()}`, form());
      saveFile(blob, filename);
    } catch (err) {
      setError(err);
    }
  }

  const rows = useMemo(() => {
    if (!preview) return [];
    if (filter === 'all') return preview.rows;
    if (filter === 'warnings') return preview.rows.filter((r) => r.warnings.length > 0);
    return preview.rows.filter((r) => r.status === filter);
  }, [preview, filter]);
  const multiSheet = !!preview && new Set(preview.rows.map((r) => r.sheet ?? '')).size > 1;
  const step = result ? 'done' : preview ? 'preview' : 'file';

  return (
    <section class="importer">
      <h2>{a('import_title')}</h2>
      <ol class="steps" aria-label={a('import_title')}>
        {(['file', 'preview', 'done'] as const).map((s) => (
          <li key={s} aria-current={s === step ? 'step' : undefined}>
            {a(`import_step_${s}` as AdminKey)}
          </li>
        ))}
      </ol>
      <form class="card" onSubmit={runPreview}>
        {!fromFile && <p>{a('import_commune', { name: commune.name })}</p>}
        <label class="check">
          <input type="checkbox" checked={fromFile} onChange={(e) => setFromFile(e.currentTarget.checked)} />
          {a('import_commune_from_file')}
        </label>
        <label>
          {a('import_file')}
          <input
            type="file"
            name="file"
            accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setPreview(null);
              setResult(null);
              setMapping({});
            }}
          />
        </label>
        <p class="small muted">{a('import_help')}</p>
        <div class="row">
          <button type="submit" class="primary" disabled={!file || busy !== null}>
            {a('preview')}
          </button>
          <button
            type="button"
            onClick={() =>
              void api.download(`/households/import/template.xlsx?commune_id=${commune.id}`).then(
                ({ blob, filename }) => saveFile(blob, filename),
                setError,
              )
            }
          >
            {a('template')}
          </button>
        </div>
        {busy === 'preview' && (
          <p aria-busy="true">
            {a('previewing')} <progress />
          </p>
        )}
      </form>
      <Problem error={error} />
      {preview && !result && (
        <div class="card" data-testid="import-preview">
          <p>
            <strong>{preview.commune_name}</strong> — {a('counts_total', { n: num(preview.total_rows) })}
          </p>
          <div class="chips" role="group">
            {(['all', ...STATUSES, 'warnings'] as Filter[]).map((f) => {
              const n = f === 'all' ? preview.rows.length : f === 'warnings' ? preview.rows.filter((r) => r.warnings.length).length : (preview.counts[f] ?? 0);
              return (
                <button type="button" key={f} class={`chip ${filter === f ? 'on' : ''}`} aria-pressed={filter === f} onClick={() => setFilter(f)} data-testid={`count-${f}`}>
                  {a(f === 'all' ? 'filter_all' : f === 'warnings' ? 'filter_warnings' : (`status_${f}` as AdminKey))}: <span class="count">{num(n)}</span>
                </button>
              );
            })}
          </div>
          {!!preview.new_hamlets?.length && <p class="notice">{a('new_hamlets', { names: preview.new_hamlets.join(', ') })}</p>}
          {!!preview.skipped_rows?.length && (
            <details>
              <summary>{a('skipped_rows', { n: preview.skipped_rows.length })}</summary>
              <ul class="small">
                {preview.skipped_rows.map((s) => (
                  <li key={`${s.sheet}-${s.row}`}>
                    {s.sheet ? `${s.sheet} · ` : ''}
                    {a('col_row')} {s.row}: {SKIP_REASONS.includes(s.reason) ? a(`skip_${s.reason}` as AdminKey) : s.reason}
                    {s.text ? ` — ${s.text}` : ''}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {!!preview.unmapped_columns?.length && (
            <form
              class="notice warn"
              onSubmit={(e) => {
                e.preventDefault();
                void runPreview();
              }}
            >
              <p>{a('unmapped')}</p>
              {preview.unmapped_columns.map((c) => (
                <label key={`${c.sheet}-${c.column}`}>
                  {c.sheet ? `${c.sheet} · ` : ''}
                  {a('column', { column: c.column })}: {c.header || '—'}
                  <select value={mapping[c.header] ?? ''} onChange={(e) => setMapping({ ...mapping, [c.header]: e.currentTarget.value })}>
                    <option value="">{a('map_ignore')}</option>
                    {FIELDS.map((f) => (
                      <option key={f} value={f}>
                        {a(`field_${f}` as AdminKey)}
                      </option>
                    ))}
                  </select>
                </label>
              ))}
              <button type="submit">{a('apply_mapping')}</button>
            </form>
          )}
          {preview.ignored_columns.length > 0 && !preview.unmapped_columns && <p class="small muted">{a('ignored_columns', { names: preview.ignored_columns.join(', ') })}</p>}
          <div class="row">
            <button type="button" onClick={() => setChosen(new Set(preview.rows.filter((r) => r.status === 'new').map(rowKey)))}>
              {a('select_all_new')}
            </button>
            <button type="button" onClick={() => setChosen(new Set())}>
              {a('select_none')}
            </button>
          </div>
          <div class="table-scroll">
            <table class="admin-table" data-testid="import-rows">
              <thead>
                <tr>
                  <th scope="col">✓</th>
                  <th scope="col">{a('col_row')}</th>
                  {multiSheet && <th scope="col">{a('col_sheet')}</th>}
                  <th scope="col">{a('col_hamlet')}</th>
                  <th scope="col">{a('col_head')}</th>
                  <th scope="col">{a('col_address')}</th>
                  <th scope="col">{a('col_phone')}</th>
                  <th scope="col">{a('col_status')}</th>
                  <th scope="col">{a('col_notes')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.slice(0, SHOWN_ROWS).map((r) => (
                  <PreviewRow
                    key={rowKey(r)}
                    row={r}
                    multiSheet={multiSheet}
                    checked={chosen.has(rowKey(r))}
                    toggle={(on) => {
                      const next = new Set(chosen);
                      if (on) next.add(rowKey(r));
                      else next.delete(rowKey(r));
                      setChosen(next);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {rows.length > SHOWN_ROWS && <p class="small muted">{a('counts_total', { n: `${SHOWN_ROWS} / ${num(rows.length)}` })}</p>}
          <p data-testid="selected-count">{a('selected', { n: num(chosen.size) })}</p>
          <div class="row">
            <button type="button" class="primary big" disabled={!chosen.size || busy !== null} onClick={() => void commit()} data-testid="import-commit">
              {a('commit', { n: num(chosen.size) })}
            </button>
            <button type="button" onClick={() => void errorReport()}>
              {a('error_report')}
            </button>
          </div>
          {busy === 'commit' && (
            <p aria-busy="true">
              {a('committing')} <progress class="wide" />
            </p>
          )}
        </div>
      )}
      {result && (
        <div class="card" role="status" data-testid="import-result">
          <p class="notice">
            <strong>{a('import_done', { inserted: num(result.inserted), unchanged: num(result.unchanged) })}</strong>
          </p>
          <div class="row">
            <button type="button" onClick={() => void errorReport()}>
              {a('error_report')}
            </button>
            <button
              type="button"
              onClick={() => {
                setResult(null);
                setPreview(null);
                setFile(null);
              }}
            >
              {a('import_again')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

function PreviewRow({ row, multiSheet, checked, toggle }: { row: ImportRow; multiSheet: boolean; checked: boolean; toggle: (on: boolean) => void }) {
  const notes = [...row.errors.map((e) => message(e)), ...row.warnings.map((w) => message(w as { message?: string; message_en?: string }))];
  return (
    <tr class={`status-${row.status}`}>
      <td>
        <input type="checkbox" class="row-check" aria-label={a('import_row', { row: multiSheet && row.sheet ? `${row.sheet} ${row.row}` : row.row })} checked={checked} disabled={row.status === 'error'} onChange={(e) => toggle(e.currentTarget.checked)} />
      </td>
      <td class="num">{row.row}</td>
      {multiSheet && <td>{row.sheet}</td>}
      <td>
        {row.hamlet_name}
        {row.new_hamlet && <span class="tag local">{a('new_hamlet')}</span>}
      </td>
      <td>{row.head_name}</td>
      <td>{row.address}</td>
      <td>{row.phone ? localPhone(row.phone) : ''}</td>
      <td>
        <span class={`tag ${row.status === 'new' ? 'covered' : row.status === 'error' ? 'moved' : 'revisit'}`}>{a(`status_${row.status}` as AdminKey)}</span>
      </td>
      <td class="notes">{notes.join(' · ')}</td>
    </tr>
  );
}

