import { Component } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { addressKey } from '../db/address';
import { db, fold, getMeta, type Household, type HouseholdStatus } from '../db';
import { useLive } from '../db/live';
import { bucket, type Bucket } from '../db/status';
import { activeCampaign } from '../db/writes';
import { t, useLocale } from '../i18n';
import { href } from '../router';
import { setVisitReturn } from '../components/forms';

type Filter = 'all' | 'unvisited' | 'revisit' | 'declined' | 'covered';
const PAGE = 30;
const collator = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });

interface Row {
  h: Household;
  bucket: Bucket;
  local: boolean;
  hamlet: string;
  group: number;
  house: number;
}

async function loadRows(): Promise<{ rows: Row[]; hamlets: { id: number; name: string }[] }> {
  const [households, statuses, campaign, units, pendingIds] = await Promise.all([
    db.households.toArray(),
    db.statuses.toArray(),
    activeCampaign(db),
    db.units.toArray(),
    db.outbox.where('state').equals('pending').toArray(),
  ]);
  // Only the running campaign's visits count (campaign 0 = all time, when none is running).
  const cid = campaign?.id ?? 0;
  const byHousehold = new Map<string, HouseholdStatus>();
  for (const s of statuses) if (s.campaign_id === cid) byHousehold.set(s.household_id, s);
  const unsynced = new Set<string>();
  for (const e of pendingIds) unsynced.add(e.kind === 'household.upsert' ? e.id : ((e.data as { household_id?: string }).household_id ?? ''));
  const names = new Map(units.map((u) => [u.id, u.name]));
  const rows = households
    .filter((h) => !h.deleted)
    .map((h) => ({
      h,
      bucket: bucket(byHousehold.get(h.id), campaign?.covered_threshold ?? 1),
      local: unsynced.has(h.id),
      hamlet: names.get(h.hamlet_id) ?? '',
      ...addressKey(h.address),
    }))
    .sort(
      (a, b) =>
        collator.compare(a.hamlet, b.hamlet) ||
        a.h.hamlet_id - b.h.hamlet_id ||
        a.group - b.group ||
        a.house - b.house ||
        collator.compare(a.h.address, b.h.address) ||
        collator.compare(a.h.head_name, b.h.head_name),
    );
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
      <li class="household-item">
        <a href={href({ name: 'household', id: r.h.id })} class="household-row">
          <span class="addr">{r.h.address || '—'}</span>
          <span class="name">{r.h.head_name}</span>
          <span class="tags">
            <span class={`tag ${r.bucket}`}>{t(`status_${r.bucket}` as const)}</span>
            {r.local && <span class="tag local">{t('unsynced_badge')}</span>}
          </span>
        </a>
        {r.bucket !== 'moved' && (
          <a
            href={href({ name: 'visit', id: r.h.id })}
            class="button visit-quick"
            aria-label={t('visit_from_list', { name: r.h.head_name })}
            onClick={() => setVisitReturn('walk')}
            data-testid="visit-quick"
          >
            {t('visit_short')}
          </a>
        )}
      </li>
    );
  }
}

export function WalkList() {
  const lang = useLocale();
  const data = useLive(loadRows, [], null as Awaited<ReturnType<typeof loadRows>> | null);
  const initialDone = useLive(() => getMeta<boolean>(db, 'initial_sync_done'), [], true as boolean | undefined);
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const [hamlet, setHamlet] = useState<number | 0>(0);
  const [limit, setLimit] = useState(PAGE);

  const inHamlet = useMemo(() => (data ? data.rows.filter((r) => !hamlet || r.h.hamlet_id === hamlet) : []), [data, hamlet]);
  const counts = useMemo(() => {
    const c = { all: inHamlet.length, unvisited: 0, revisit: 0, declined: 0, covered: 0 };
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
  const filters: Filter[] = ['all', 'unvisited', 'revisit', 'declined', 'covered'];
  const labels = { all: 'filter_all', unvisited: 'filter_unvisited', revisit: 'filter_revisit', declined: 'filter_declined', covered: 'filter_covered' } as const;
  // One header per hamlet, with the households still to do there (not "Đạt", not moved away).
  const left = new Map<number, number>();
  for (const r of inHamlet) if (r.bucket !== 'covered' && r.bucket !== 'moved') left.set(r.h.hamlet_id, (left.get(r.h.hamlet_id) ?? 0) + 1);
  const groups: { id: number; name: string; rows: Row[] }[] = [];
  for (const r of shown.slice(0, limit)) {
    const last = groups[groups.length - 1];
    if (last && last.id === r.h.hamlet_id) last.rows.push(r);
    else groups.push({ id: r.h.hamlet_id, name: r.hamlet, rows: [r] });
  }
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
          aria-describedby="search-hint"
          value={query}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setLimit(PAGE);
          }}
          autoComplete="off"
        />
        <span id="search-hint" class="sr-only">
          {t('search_hint')}
        </span>
        <a class="button primary" href="#/new" data-testid="add-household">
          + {t('nav_new')}
        </a>
      </div>
      {data.hamlets.length > 1 && (
        <label class="hamlet-select">
          <span class="sr-only">{t('hamlet')}</span>
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
        <p class="notice" data-testid="no-households">
          {initialDone ? t('no_households_first') : t('first_sync_wait')}
        </p>
      ) : shown.length === 0 ? (
        <p class="notice">{t('no_households')}</p>
      ) : (
        <div data-testid="household-list">
          {groups.map((g) => (
            <section key={g.id} class="hamlet-group">
              <h2 class="hamlet-head">
                <span>{g.name || t('hamlet')}</span>
                <span class="muted small" data-testid="hamlet-left">
                  {t('hamlet_left', { n: left.get(g.id) ?? 0 })}
                </span>
              </h2>
              <ul class="households">
                {g.rows.map((r) => (
                  <RowView key={r.h.id} row={r} lang={lang} />
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
      {shown.length > limit && (
        <button type="button" class="big" onClick={() => setLimit(limit + PAGE)}>
          {t('show_more', { n: shown.length - limit })}
        </button>
      )}
    </main>
  );
}
