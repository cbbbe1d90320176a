import { useState } from 'preact/hooks';
import { ApiError, NetworkError, type Session } from '../api/client';
import type { HouseholdLeft, VolunteerFigures, VolunteersReport } from '../api/types';
import { db, getMeta } from '../db';
import { useLive } from '../db/live';
import { bucket } from '../db/status';
import { activeCampaign, localDay } from '../db/writes';
import { formatDate, formatTime, t, useLocale } from '../i18n';
import { num, pct, tt, type TeamKey } from './teamMessages';
import { REASONS, reportCampaign, useTeamReport, type Reason } from './useTeamReport';
import './team.css';

async function progress(userId: number) {
  const today = localDay(new Date());
  const [visits, households, statuses, campaign] = await Promise.all([
    db.visits.toArray(),
    db.households.toArray(),
    db.statuses.toArray(),
    activeCampaign(db),
  ]);
  const todays = visits.filter((v) => localDay(new Date(v.visited_at)) === today);
  const met = new Set(todays.filter((v) => v.outcome === 'met').map((v) => v.household_id));
  const cid = campaign?.id ?? 0;
  const live = new Set(households.filter((h) => !h.deleted).map((h) => h.id));
  const covered = statuses.filter((s) => s.campaign_id === cid && live.has(s.household_id) && bucket(s, campaign?.covered_threshold ?? 1) === 'covered').length;
  const mine = todays.filter((v) => v.local || v.volunteer_id === userId).length;
  return { visits: todays.length, met: met.size, covered, total: live.size, mine, synced: await getMeta<string>(db, 'last_synced_at') };
}

/** The team leader's screen: the team against its target, each volunteer's day, the households left. */
export function TeamPage({ session }: { session: Session }) {
  useLocale();
  const p = useLive(() => progress(session.user.id), [session.user.id], null as Awaited<ReturnType<typeof progress>> | null);
  // undefined while the phone's campaigns are read; null: none, the report covers all time.
  const campaign = useLive(async () => reportCampaign(await db.campaigns.toArray()), [], undefined as ReturnType<typeof reportCampaign> | undefined);
  const [reason, setReason] = useState<Reason | null>(null);
  const team = useTeamReport(campaign === undefined ? undefined : (campaign?.id ?? 0), reason);
  const report = team.report;

  return (
    <main class="page team">
      <h1>{tt('title')}</h1>
      {report && report.teams.length > 0 && <p class="team-names">{report.teams.map((x) => x.name).join(' · ')}</p>}
      {campaign !== undefined && (
        <p class="small muted" data-testid="team-campaign">
          {campaign ? tt('campaign', { name: campaign.name, from: formatDate(campaign.starts_on), to: formatDate(campaign.ends_on) }) : tt('all_time')}
        </p>
      )}
      {team.status === 'error' && <Problem error={team.error} retry={team.retry} />}
      {(team.status === 'loading' || team.status === 'waiting') && (
        <p aria-busy="true" data-testid="team-loading">
          {tt('loading')}
        </p>
      )}
      {report && (
        <>
          <Target report={report} />
          <Volunteers report={report} />
          <Left report={report} items={team.items} reason={reason} setReason={setReason} more={team.more} loadingMore={team.loadingMore} />
        </>
      )}
      {/* From the phone's own data: still there offline, when the figures above cannot be read. */}
      <h2>{tt('today_title')}</h2>
      {p ? <TodayTiles p={p} /> : <p aria-busy="true">{t('loading')}</p>}
      <p class="small muted">{t('team_note')}</p>
    </main>
  );
}

function TodayTiles({ p }: { p: { visits: number; met: number; covered: number; total: number; mine: number } }) {
  const tiles: [string, number][] = [
    [t('team_visits'), p.visits],
    [t('team_met'), p.met],
    [t('team_covered'), p.covered],
    [t('team_total'), p.total],
    [t('team_mine'), p.mine],
  ];
  return (
    <dl class="tiles" data-testid="team-progress">
      {tiles.map(([name, value]) => (
        <div class="tile" key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Problem({ error, retry }: { error: unknown; retry: () => void }) {
  let text: string;
  if (error instanceof NetworkError) text = tt('offline');
  else if (error instanceof ApiError && error.status === 403) text = tt('forbidden');
  else if (error instanceof ApiError) text = tt('error', { message: error.message });
  else text = tt('error', { message: tt('retry') });
  return (
    <p class={`notice ${error instanceof NetworkError ? 'warn' : 'bad'}`} role="alert" data-testid="team-problem">
      {text}{' '}
      <button type="button" onClick={retry}>
        {tt('retry')}
      </button>
    </p>
  );
}

function Target({ report }: { report: VolunteersReport }) {
  const x = report.totals;
  return (
    <section class="card team-target" data-testid="team-target" aria-label={tt('target')}>
      <div class="team-target-figure">
        <strong>{pct(x.covered_pct)}</strong> <span class="muted">{tt('of_target')}</span>
      </div>
      <div class="meter" role="img" aria-label={pct(x.covered_pct)}>
        <span style={{ width: `${Math.min(100, x.covered_pct)}%` }} />
      </div>
      <div>{tt('covered_of', { n: num(x.households_covered), total: num(x.households) })}</div>
      <div class="small">{tt('visited_of', { n: num(x.households_visited), total: num(x.households), pct: pct(x.visited_pct) })}</div>
      <div class="small muted">{tt('target_line', { k: report.covered_threshold })}</div>
    </section>
  );
}

const ROLE: Record<string, TeamKey> = { leader: 'role_leader', deputy: 'role_deputy', member: 'role_member' };

function Volunteers({ report }: { report: VolunteersReport }) {
  const rows = report.volunteers;
  return (
    <section>
      <h2>{tt('volunteers', { n: rows.length })}</h2>
      <p class="small muted">{tt('volunteers_note', { day: formatDate(report.day) })}</p>
      {rows.length === 0 && <p class="muted">{tt('no_volunteers')}</p>}
      <ul class="vol-list" data-testid="volunteer-list">
        {rows.map((v) => (
          <VolunteerCard key={v.user_id} v={v} />
        ))}
      </ul>
    </section>
  );
}

function VolunteerCard({ v }: { v: VolunteerFigures }) {
  const figures: [TeamKey, number][] = [
    ['visits_today', v.visits_today],
    ['visits', v.visits],
    ['households_met', v.households_met],
    ['people_proficient', v.people_proficient],
    ['days_active', v.days_active],
  ];
  const waiting = v.attention.total;
  return (
    <li class="card vol-card" data-testid="volunteer" data-user-id={v.user_id}>
      <div class="vol-head">
        <div>
          <strong class="vol-name">{v.full_name}</strong>
          <div class="small muted">{tt(v.team_role ? (ROLE[v.team_role] ?? 'role_member') : 'role_none')}</div>
        </div>
        <a class="button vol-call" href={`tel:${v.phone}`} aria-label={tt('call_label', { name: v.full_name })}>
          {tt('call')}
        </a>
      </div>
      <dl class="vol-figures">
        {figures.map(([key, value]) => (
          <div key={key} data-figure={key}>
            <dt>{tt(key)}</dt>
            <dd>{num(value)}</dd>
          </div>
        ))}
        <div data-figure="attention" class={waiting > 0 ? 'vol-attention' : undefined}>
          <dt>{tt('attention')}</dt>
          <dd>{num(waiting)}</dd>
        </div>
      </dl>
      {waiting > 0 && <p class="small vol-attention-detail">{tt('attention_detail', { rejected: num(v.attention.rejected), flagged: num(v.attention.flagged) })}</p>}
      <p class="small muted vol-sync">{v.last_sync_at ? tt('last_sync', { time: formatTime(v.last_sync_at) }) : tt('never_synced')}</p>
    </li>
  );
}

function Left({
  report,
  items,
  reason,
  setReason,
  more,
  loadingMore,
}: {
  report: VolunteersReport;
  items: HouseholdLeft[];
  reason: Reason | null;
  setReason: (r: Reason | null) => void;
  more: () => void;
  loadingMore: boolean;
}) {
  const left = report.households_left;
  const all = REASONS.reduce((n, r) => n + (left.counts[r] ?? 0), 0);
  const chips: [Reason | null, string, number][] = [[null, tt('all'), all], ...REASONS.map((r): [Reason, string, number] => [r, tt(`reason_${r}`), left.counts[r] ?? 0])];
  return (
    <section>
      <h2>{tt('left', { n: num(all) })}</h2>
      <div class="row left-filter" role="group" aria-label={tt('filter')} data-testid="left-filter">
        {chips.map(([r, name, n]) => (
          <button type="button" key={r ?? 'all'} class="chip" aria-pressed={reason === r} onClick={() => setReason(r)}>
            {name} ({num(n)})
          </button>
        ))}
      </div>
      {items.length === 0 && <p class="muted">{tt('none_left')}</p>}
      <ul class="left-list" data-testid="households-left">
        {items.map((h) => (
          <li key={h.household_id}>
            <a href={`#/h/${encodeURIComponent(h.household_id)}`} class="left-item">
              <span class="left-name">{h.head_name || '—'}</span>
              <span class="small muted">
                {[h.address, h.hamlet.name].filter(Boolean).join(' · ')}
              </span>
              <span class={`small reason reason-${h.reason}`}>{tt(`reason_${h.reason}` as TeamKey)}</span>
              {h.last_visit_at && <span class="small muted">{tt('last_visit', { day: formatDate(h.last_visit_at) })}</span>}
            </a>
          </li>
        ))}
      </ul>
      {items.length > 0 && (
        <p class="small muted" data-testid="left-showing">
          {tt('showing', { n: num(items.length), total: num(left.total) })}
        </p>
      )}
      {items.length < left.total && (
        <button type="button" class="big" onClick={more} disabled={loadingMore} aria-busy={loadingMore}>
          {tt('more')}
        </button>
      )}
    </section>
  );
}
