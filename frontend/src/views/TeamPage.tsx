import { db, getMeta } from '../db';
import { useLive } from '../db/live';
import { bucket } from '../db/status';
import { activeCampaign, localDay } from '../db/writes';
import type { Session } from '../api/client';
import { t, useLocale } from '../i18n';

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

export function TeamPage({ session }: { session: Session }) {
  useLocale();
  const p = useLive(() => progress(session.user.id), [session.user.id], null as Awaited<ReturnType<typeof progress>> | null);
  if (!p) return <main class="page">{t('loading')}</main>;
  const tiles: [string, number][] = [
    [t('team_visits'), p.visits],
    [t('team_met'), p.met],
    [t('team_covered'), p.covered],
    [t('team_total'), p.total],
    [t('team_mine'), p.mine],
  ];
  return (
    <main class="page team">
      <h1>{t('team_title')}</h1>
      <dl class="tiles" data-testid="team-progress">
        {tiles.map(([name, value]) => (
          <div class="tile" key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <p class="small muted">{t('team_note')}</p>
    </main>
  );
}
