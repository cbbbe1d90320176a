// The officials' dashboard (issue 5): coverage of a unit against the campaign's target, its child
// units ranked, skills, daily progress, downloads. Loaded with import() from #/dashboard, so it is its
// own chunk and the volunteer bundle never carries it. Online first; the last figures of each unit
// are kept for offline reading (data.ts).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, AuthRequired, NetworkError, type MeOut } from '../api/client';
import type { CampaignItem, Coverage, Progress, ToVisitPage } from '../api/types';
import { saveFile } from '../components/saveFile';
import { locale, setLocale, useLocale } from '../i18n';
import { go, useRoute } from '../router';
import { api } from '../services';
import { coveragePath, defaultCampaign, exportPath, load, progressPath, ReportCache, type Loaded } from './data';
import { d, dateTime, day, num, pct, type DashKey } from './messages';
import { ProgressChart } from './ProgressChart';
import { Ranking } from './Ranking';
import { Skills } from './Skills';
import './dashboard.css';

const cache = new ReportCache(localStorage);

type State<T> = { status: 'loading' } | { status: 'done'; value: Loaded<T> } | { status: 'error'; error: unknown };

function useReport<T>(path: string | null, nonce: number): State<T> {
  const [state, setState] = useState<State<T>>({ status: 'loading' });
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState({ status: 'loading' });
    load<T>(api, cache, path).then(
      (value) => live && setState({ status: 'done', value }),
      (error: unknown) => live && setState({ status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [path, nonce]);
  return state;
}

/** Every failure in the reader's language: the server's own message, or ours for what has none. */
function message(error: unknown): string {
  if (error instanceof NetworkError) return d('offline_error');
  if (error instanceof AuthRequired) return d('auth_error');
  if (error instanceof ApiError && error.status === 403) return d('forbidden');
  if (error instanceof ApiError) return (locale() === 'en' && error.messageEn) || error.message || d('unknown_error');
  return d('unknown_error');
}

/** A refusal of the unit itself (outside the user's scope): said at once, never a spinner. */
function refused(...states: State<unknown>[]): boolean {
  return states.some((s) => s.status === 'error' && s.error instanceof ApiError && s.error.status === 403);
}

export default function Dashboard({ onLogout }: { onLogout?: () => void }) {
  useLocale();
  const route = useRoute();
  const [nonce, setNonce] = useState(0);
  const me = useReport<MeOut>('/me', nonce);
  const home = me.status === 'done' ? (me.value.data.unit?.id ?? me.value.data.area[0]?.id ?? null) : null;
  const unitId = route.name === 'dashboard' && route.unitId ? route.unitId : home;
  const campaigns = useReport<{ items: CampaignItem[] }>(unitId ? `/campaigns?unit_id=${unitId}&limit=100` : null, nonce);
  const routeCampaign = route.name === 'dashboard' ? route.campaignId : undefined;
  const campaignId = routeCampaign ?? (campaigns.status === 'done' ? defaultCampaign(campaigns.value.data.items) : null);
  const ready = unitId !== null && campaignId !== null;
  const coverage = useReport<Coverage>(ready ? coveragePath(unitId, campaignId) : null, nonce);
  const progress = useReport<Progress>(ready ? progressPath(unitId, campaignId) : null, nonce);

  const open = (unit: number, campaign = campaignId ?? 0) => go({ name: 'dashboard', unitId: unit, campaignId: campaign });

  const retry = () => setNonce((n) => n + 1);
  let body;
  if (me.status === 'error') body = <Failure error={me.error} retry={retry} />;
  else if (me.status === 'done' && home === null && !unitId) body = <p class="notice warn">{d('no_unit')}</p>;
  else if (refused(campaigns, coverage)) body = <Forbidden home={home} />;
  else if (campaigns.status === 'error' && !ready) body = <Failure error={campaigns.error} retry={retry} />;
  else if (coverage.status === 'error') body = <Failure error={coverage.error} retry={retry} />;
  else if (!ready) body = <p aria-busy="true">{d(me.status === 'done' ? 'loading_campaigns' : 'loading')}</p>;
  else if (coverage.status !== 'done') body = <p aria-busy="true">{d('loading')}</p>;
  else {
    const report = coverage.value.data;
    body = (
      <>
        <Breadcrumb report={report} home={home} open={(u) => open(u)} />
        <CampaignPicker
          campaigns={campaigns.status === 'done' ? campaigns.value.data.items : []}
          selected={campaignId}
          onChange={(c) => open(report.unit.id, c)}
        />
        {coverage.value.offline && <p class="notice warn" role="status">{d('offline_copy', { time: dateTime(coverage.value.savedAt) })}</p>}
        <Headline report={report} />
        {report.children.length > 0 && <Ranking report={report} open={(u) => open(u)} />}
        <Skills report={report} />
        <section class="card">
          <h2>{d('progress')}</h2>
          {progress.status === 'done' ? (
            <DailyProgress progress={progress.value.data} />
          ) : progress.status === 'error' ? (
            <Failure error={progress.error} retry={retry} />
          ) : (
            <p aria-busy="true">{d('loading_progress')}</p>
          )}
        </section>
        {report.unit.level === 'hamlet' && <ToVisit unitId={report.unit.id} campaignId={campaignId} />}
        <Downloads unitId={report.unit.id} campaignId={campaignId} />
        <p class="muted small">{d('generated_at', { time: dateTime(Date.parse(report.generated_at)) })}</p>
      </>
    );
  }
  return (
    <main class="page dash" data-testid="dashboard">
      <div class="dash-head">
        <h1>{d('title')}</h1>
        <div class="row">
          <button type="button" onClick={() => setLocale(locale() === 'vi' ? 'en' : 'vi')}>
            {d('language')}
          </button>
          {onLogout && (
            <button
              type="button"
              onClick={() => {
                cache.clear();
                onLogout();
              }}
            >
              {d('logout')}
            </button>
          )}
        </div>
      </div>
      {body}
    </main>
  );
}

function Failure({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <p class="notice bad" role="alert" data-testid="dash-error">
      {error instanceof NetworkError ? `${message(error)} ${d('no_copy')}` : d('error', { message: message(error) })}{' '}
      <button type="button" onClick={retry}>
        {d('retry')}
      </button>
    </p>
  );
}

function Forbidden({ home }: { home: number | null }) {
  return (
    <div class="notice bad" role="alert" data-testid="forbidden">
      <p>{d('forbidden')}</p>
      {home !== null && (
        <a class="button" href={`#/dashboard/${home}`}>
          {d('back_home')}
        </a>
      )}
    </div>
  );
}

function Breadcrumb({ report, home, open }: { report: Coverage; home: number | null; open: (unit: number) => void }) {
  const chain = [...report.ancestors, report.unit];
  // Officials read their own unit and below: the units above it are shown, not linked.
  const homeIndex = home === null ? 0 : chain.findIndex((u) => u.id === home);
  return (
    <nav aria-label={d('breadcrumb')} class="crumbs" data-testid="breadcrumb">
      <ol>
        {chain.map((u, i) => (
          <li key={u.id}>
            {i === chain.length - 1 ? (
              <strong aria-current="page">{u.name}</strong>
            ) : homeIndex >= 0 && i >= homeIndex ? (
              <a
                href={`#/dashboard/${u.id}`}
                onClick={(e) => {
                  e.preventDefault();
                  open(u.id);
                }}
              >
                {u.name}
              </a>
            ) : (
              <span class="muted">{u.name}</span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

function CampaignPicker({ campaigns, selected, onChange }: { campaigns: CampaignItem[]; selected: number; onChange: (id: number) => void }) {
  return (
    <label class="dash-campaign">
      {d('campaign')}
      <select value={String(selected)} onChange={(e) => onChange(Number((e.target as HTMLSelectElement).value))}>
        {campaigns.map((c) => (
          <option key={c.id} value={String(c.id)}>
            {c.name} — {day(c.starts_on)}–{day(c.ends_on)} ({d(`state_${c.state}` as DashKey)})
          </option>
        ))}
        <option value="0">{d('all_time')}</option>
      </select>
    </label>
  );
}

function Meter({ value, max }: { value: number; max: number }) {
  const share = max > 0 ? Math.min(100, (100 * value) / max) : 0;
  return (
    <div class="meter" aria-hidden="true">
      <span style={{ width: `${share}%` }} />
    </div>
  );
}

function Headline({ report }: { report: Coverage }) {
  const t = report.totals;
  const k = report.covered_threshold;
  return (
    <section class="dash-headline" aria-label={d('title')}>
      <div class="card" data-testid="headline-visited">
        <div class="muted">{d('visited')}</div>
        <div class="figure">{pct(t.visited_pct)}</div>
        <Meter value={t.households_visited} max={t.households} />
        <div class="small">{d('of_households', { n: num(t.households_visited), total: num(t.households) })}</div>
      </div>
      <div class="card" data-testid="headline-covered">
        <div class="muted">
          {d('covered')} <span class="small">({d('covered_hint', { k })})</span>
        </div>
        <div class="figure">{pct(t.covered_pct)}</div>
        <Meter value={t.households_covered} max={t.households} />
        <div class="small">{d('of_households', { n: num(t.households_covered), total: num(t.households) })}</div>
      </div>
      <div class="card" data-testid="headline-proficient">
        <div class="muted">{d('proficient_all')}</div>
        <div class="figure">{num(t.people_proficient_all)}</div>
        <Meter value={t.people_proficient_all} max={report.target.people_proficient_all} />
        <div class="small">{d('of_target', { n: num(t.people_proficient_all), target: num(report.target.people_proficient_all) })}</div>
      </div>
      <p class="muted small dash-target">{d('target_line', { k })}</p>
    </section>
  );
}

function DailyProgress({ progress }: { progress: Progress }) {
  const days = progress.days;
  return (
    <>
      <ProgressChart days={days} />
      {days.length > 0 && (
        <details>
          <summary>{d('per_day_table')}</summary>
          <div class="table-scroll">
            <table class="dash-table" data-testid="daily">
              <thead>
                <tr>
                  <th scope="col">{d('day')}</th>
                  <th scope="col" class="num">{d('visits')}</th>
                  <th scope="col" class="num">{d('new_visited')}</th>
                  <th scope="col" class="num">{d('new_covered')}</th>
                  <th scope="col" class="num">{d('cumulative_visited')}</th>
                  <th scope="col" class="num">{d('cumulative_covered')}</th>
                </tr>
              </thead>
              <tbody>
                {days.map((x) => (
                  <tr key={x.day}>
                    <th scope="row">{day(x.day)}</th>
                    <td class="num">{num(x.visits)}</td>
                    <td class="num">{num(x.households_visited)}</td>
                    <td class="num">{num(x.households_covered)}</td>
                    <td class="num">{pct(x.cumulative_visited_pct)}</td>
                    <td class="num">{pct(x.cumulative_covered_pct)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </>
  );
}

/** A hamlet's households still to visit, read live and never kept (names and addresses). */
function ToVisit({ unitId, campaignId }: { unitId: number; campaignId: number }) {
  const [pages, setPages] = useState<ToVisitPage[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const more = (offset: number) => {
    setBusy(true);
    return api
      .get<ToVisitPage>(`/reports/to-visit?unit_id=${unitId}&campaign_id=${campaignId}&limit=50&offset=${offset}`)
      .then((p) => setPages((old) => (offset === 0 ? [p] : [...old, p])), setError)
      .finally(() => setBusy(false));
  };
  useEffect(() => {
    setPages([]);
    setError(null);
    void more(0);
  }, [unitId, campaignId]);
  const items = pages.flatMap((p) => p.items);
  const first = pages[0];
  return (
    <section class="card">
      <h2>{d('to_visit')}</h2>
      {error ? (
        <p class="notice bad" role="alert">
          {d('error', { message: message(error) })}
        </p>
      ) : null}
      {!first && !error && <p aria-busy="true">{d('loading_to_visit')}</p>}
      {first && (
        <p class="small">
          {(['not_visited', 'not_home', 'declined', 'not_covered'] as const)
            .map((r) => `${d(`reason_${r}`)}: ${num(first.counts[r] ?? 0)}`)
            .join(' · ')}
        </p>
      )}
      <ol class="plain" data-testid="to-visit">
        {items.map((h) => (
          <li key={h.household_id}>
            <strong>{h.head_name || '—'}</strong> <span class="muted">{h.address}</span> — {d(`reason_${h.reason}` as DashKey)}
          </li>
        ))}
      </ol>
      {first && items.length < first.total && (
        <button type="button" onClick={() => void more(items.length)} disabled={busy}>
          {d('more')}
        </button>
      )}
    </section>
  );
}

function Downloads({ unitId, campaignId }: { unitId: number; campaignId: number }) {
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const get = async (path: string) => {
    setNote(null);
    try {
      const { blob, filename } = await api.download(path);
      saveFile(blob, filename);
      setNote({ ok: true, text: d('downloaded', { name: filename }) });
    } catch (e) {
      setNote({ ok: false, text: d('download_failed', { message: message(e) }) });
    }
  };
  const button = (key: DashKey, path: string, testid: string) => (
    <button type="button" data-testid={testid} onClick={() => void get(path)}>
      ⬇ {d(key)}
    </button>
  );
  return (
    <section class="card">
      <h2>{d('downloads')}</h2>
      <div class="row">
        {button('dl_coverage_xlsx', exportPath('coverage', 'xlsx', unitId, campaignId), 'download-coverage-xlsx')}
        {button('dl_coverage_csv', exportPath('coverage', 'csv', unitId, campaignId), 'download-coverage-csv')}
        {button('dl_progress_xlsx', exportPath('progress', 'xlsx', unitId, campaignId), 'download-progress-xlsx')}
        {button('dl_to_visit_xlsx', exportPath('to-visit', 'xlsx', unitId, campaignId), 'download-to-visit-xlsx')}
      </div>
      <p class="muted small">{d('personal_data')}</p>
      {note && (
        <p class={`notice ${note.ok ? '' : 'bad'}`} role="status">
          {note.text}
        </p>
      )}
    </section>
  );
}

