import { Component } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { db, fold, type Household, type HouseholdStatus } from '../db';
import { useLive } from '../db/live';
import { bucket, type Bucket } from '../db/status';
import { activeCampaign } from '../db/writes';
import { t, useLocale } from '../i18n';
import { href } from '../router';

type Filter = 'all' | 'unvisited' | 'revisit' | 'covered';
const PAGE = 30;
const collator = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });

interface Row {
  h: Household;
  bucket: Bucket;
  local: boolean;
}

async function loadRows(): Promise<{ rows: Row[]; hamlets: { id: number; name: string }[] }> {
  const [households, statuses, campaign, units, pendingIds] = await Promise.all([
    db.households.toArray(),
    db.statuses.toArray(),
    activeCampaign(db),
    db.units.toArray(),
    db.outbox.where('state').equals('pending').toArray(),
  ]);
  const cid = campaign?.id ?? 0;
  const byHousehold = new Map<string, HouseholdStatus>();
  for (const s of statuses) if (s.campaign_id === cid) byHousehold.set(s.household_id, s);
  const unsynced = new Set<string>();
  for (const e of pendingIds) unsynced.add(e.kind === 'household.upsert' ? e.id : ((e.data as { household_id?: string }).household_id ?? ''));
  const rows = households
    .filter((h) => !h.deleted)
    .map((h) => ({ h, bucket: bucket(byHousehold.get(h.id), campaign?.covered_threshold ?? 1), local: unsynced.has(h.id) }))
    .sort((a, b) => collator.compare(a.h.address, b.h.address) || collator.compare(a.h.head_name, b.h.head_name));
  const hamletIds = new Set(households.map((h) => h.hamlet_id));
  const hamlets = units.filter((u) => u.level === 'hamlet' || hamletIds.has(u.id)).map((u) => ({ id: u.id, name: u.name }));
  return { rows, hamlets };
}

/** A row re-renders only when its data or the language changed: typing re-diffs nothing else. */
class RowView extends Component<{ row: Row; lang: string }> {
  shouldComponentUpdate(next: { row: Row; lang: string }) {
    return next.row !== this.props.row || next.lang !== this.props.lang;
  }
  render() {
    const r = this.props.row;
    return (
      <li>
        <a href={href({ name: 'household', id: r.h.id })} class="household-row">
          <span class="addr">{r.h.address || '—'}</span>
          <span class="name">{r.h.head_name}</span>
          <span class={`tag ${r.bucket}`}>{t(`status_${r.bucket}` as const)}</span>
          {r.local && <span class="tag local">{t('unsynced_badge')}</span>}
        </a>
      </li>
    );
  }
}

export function WalkList() {
  const lang = useLocale();
  const data = useLive(loadRows, [], null as Awaited<ReturnType<typeof loadRows>> | null);
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const [hamlet, setHamlet] = useState<number | 0>(0);
  const [limit, setLimit] = useState(PAGE);

  const inHamlet = useMemo(() => (data ? data.rows.filter((r) => !hamlet || r.h.hamlet_id === hamlet) : []), [data, hamlet]);
  const counts = useMemo(() => {
    const c = { all: inHamlet.length, unvisited: 0, revisit: 0, covered: 0 };
    for (const r of inHamlet) if (r.bucket !== 'moved') c[r.bucket]++;
    return c;
  }, [inHamlet]);
  // The folded key is precomputed per household: a keystroke is one substring test per row.
  const q = fold(query);
  const shown = useMemo(
    () => inHamlet.filter((r) => (filter === 'all' || r.bucket === filter) && (!q || r.h.search.includes(q))),
    [inHamlet, filter, q],
  );

  if (!data) return <main class="page">{t('loading')}</main>;
  const filters: Filter[] = ['all', 'unvisited', 'revisit', 'covered'];
  const labels = { all: 'filter_all', unvisited: 'filter_unvisited', revisit: 'filter_revisit', covered: 'filter_covered' } as const;
  return (
    <main class="page walk">
      <div class="search-row">
        <label class="sr-only" for="search">
          {t('search_label')}
        </label>
        <input
          id="search"
          type="search"
          placeholder={t('search_placeholder')}
          value={query}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setLimit(PAGE);
          }}
          autoComplete="off"
        />
        <a class="button primary" href="#/new" data-testid="add-household">
          + {t('nav_new')}
        </a>
      </div>
      {data.hamlets.length > 1 && (
        <label class="inline">
          {t('hamlet')}{' '}
          <select value={hamlet} onChange={(e) => setHamlet(Number(e.currentTarget.value))}>
            <option value={0}>{t('all_hamlets')}</option>
            {data.hamlets.map((u) => (
              <option value={u.id} key={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <div class="chips" role="group" aria-label={t('nav_walk')}>
        {filters.map((f) => (
          <button type="button" key={f} class={filter === f ? 'chip on' : 'chip'} aria-pressed={filter === f} onClick={() => setFilter(f)}>
            {t(labels[f])} <span class="count">{counts[f]}</span>
          </button>
        ))}
      </div>
      {data.rows.length === 0 ? (
        <p class="notice">{t('no_households_first')}</p>
      ) : shown.length === 0 ? (
        <p class="notice">{t('no_households')}</p>
      ) : (
        <ul class="households" data-testid="household-list">
          {shown.slice(0, limit).map((r) => (
            <RowView key={r.h.id} row={r} lang={lang} />
          ))}
        </ul>
      )}
      {shown.length > limit && (
        <button type="button" class="big" onClick={() => setLimit(limit + PAGE)}>
          {t('show_more', { n: shown.length - limit })}
        </button>
      )}
    </main>
  );
}
