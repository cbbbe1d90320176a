// The child units ranked: a sortable table on a wide screen, below 600 px one card per unit with every
// figure visible (and a sort picker instead of the column headings).
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { Coverage, CoverageFigures } from '../api/types';
import { sortRows, type SortKey } from './data';
import { d, num, pct, type DashKey } from './messages';

const COLUMNS: { key: SortKey; label: DashKey; numeric: boolean }[] = [
  { key: 'name', label: 'unit', numeric: false },
  { key: 'households', label: 'households', numeric: true },
  { key: 'visited_pct', label: 'visited_pct', numeric: true },
  { key: 'covered_pct', label: 'covered_pct', numeric: true },
  { key: 'people_proficient_all', label: 'people_proficient', numeric: true },
  { key: 'visits', label: 'visits', numeric: true },
];

type Sort = { key: SortKey; descending: boolean };

const NARROW = '(max-width: 599.98px)';

/** Whether the screen is narrower than 600 px, following rotations and window resizes. */
function useNarrow(): boolean {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW).matches);
  useEffect(() => {
    const query = window.matchMedia(NARROW);
    const fn = () => setNarrow(query.matches);
    query.addEventListener('change', fn);
    fn();
    return () => query.removeEventListener('change', fn);
  }, []);
  return narrow;
}

export function Ranking({ report, open }: { report: Coverage; open: (unit: number) => void }) {
  const [sort, setSort] = useState<Sort>({ key: 'covered_pct', descending: true });
  const rows = useMemo(() => sortRows(report.children, sort.key, sort.descending), [report, sort]);
  const level = report.child_level ? d(`level_${report.child_level}` as DashKey) : '';
  const narrow = useNarrow();
  // id 0: the "Chưa phân bổ" row of a 2025 province (hamlets of split communes not assigned yet): no unit to open.
  const link = (id: number, name: string) => !id ? <span>{name}</span> : (
    <a
      href={`#/dashboard/${id}`}
      onClick={(e) => {
        e.preventDefault();
        open(id);
      }}
    >
      {name}
    </a>
  );
  return (
    <section class="card">
      <h2>{d('ranking', { level })}</h2>
      {narrow ? <Cards rows={rows} sort={sort} setSort={setSort} link={link} /> : <Table rows={rows} sort={sort} setSort={setSort} link={link} />}
    </section>
  );
}

type ViewProps = {
  rows: CoverageFigures[];
  sort: Sort;
  setSort: (next: Sort | ((s: Sort) => Sort)) => void;
  link: (id: number, name: string) => JSX.Element;
};

function Table({ rows, sort, setSort, link }: ViewProps) {
  return (
    <>
      <p class="muted small">{d('sort_hint')}</p>
      <div class="table-scroll">
        <table class="dash-table" data-testid="ranking">
          <thead>
            <tr>
              <th scope="col">{d('rank')}</th>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  class={c.numeric ? 'num' : undefined}
                  aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button
                    type="button"
                    class="link"
                    onClick={() => setSort((s) => ({ key: c.key, descending: s.key === c.key ? !s.descending : c.numeric }))}
                  >
                    {d(c.label)}
                    {sort.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.unit.id}>
                <td class="num">{i + 1}</td>
                <th scope="row">{link(r.unit.id, r.unit.name)}</th>
                <td class="num">{num(r.households)}</td>
                <td class="num">{pct(r.visited_pct)}</td>
                <td class="num">{pct(r.covered_pct)}</td>
                <td class="num">{num(r.people_proficient_all)}</td>
                <td class="num">{num(r.visits)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Cards({ rows, sort, setSort, link }: ViewProps) {
  return (
    <div>
      <div class="rank-sort">
        <label>
          {d('sort_by')}
          <select
            value={sort.key}
            onChange={(e) => {
              const key = (e.target as HTMLSelectElement).value as SortKey;
              setSort({ key, descending: key !== 'name' });
            }}
          >
            {COLUMNS.map((c) => (
              <option key={c.key} value={c.key}>
                {d(c.label)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setSort((s) => ({ ...s, descending: !s.descending }))} aria-label={sort.descending ? d('descending') : d('ascending')}>
          {sort.descending ? '▼' : '▲'}
        </button>
      </div>
      <ol class="rank-cards" data-testid="ranking-cards">
        {rows.map((r, i) => (
          <li key={r.unit.id} class="rank-card">
            <div class="rank-card-head">
              <span class="rank-no" aria-label={d('rank')}>
                {i + 1}
              </span>
              {link(r.unit.id, r.unit.name)}
            </div>
            <dl>
              <div>
                <dt>{d('households')}</dt>
                <dd>{num(r.households)}</dd>
              </div>
              <div>
                <dt>{d('visited_pct')}</dt>
                <dd>{pct(r.visited_pct)}</dd>
              </div>
              <div>
                <dt>{d('covered_pct')}</dt>
                <dd>{pct(r.covered_pct)}</dd>
              </div>
              <div>
                <dt>{d('people_proficient')}</dt>
                <dd>{num(r.people_proficient_all)}</dd>
              </div>
              <div>
                <dt>{d('visits')}</dt>
                <dd>{num(r.visits)}</dd>
              </div>
            </dl>
          </li>
        ))}
      </ol>
    </div>
  );
}
