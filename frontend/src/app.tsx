import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Session } from './api/client';
import { db, getMeta } from './db';
import { useLive } from './db/live';
import type { MeOut } from './api/client';
import { t, useLocale } from './i18n';
import { useRoute } from './router';
import { StatusBar } from './components/StatusBar';
import { Toaster } from './components/Toast';
import { UpdatePrompt } from './components/UpdatePrompt';
import { reloadState, useUpdate } from './components/update';
import { useSyncState } from './components/useSync';
import { startTriggers } from './sync/triggers';
import { counts, NO_COUNTS } from './sync/outbox';
import { engine, sessionStore } from './services';
import { Login } from './views/Login';
import { WalkList } from './views/WalkList';
import { VisitForm } from './views/VisitForm';
import { SyncStatus } from './views/SyncStatus';
import { Team } from './views/Team';
import { lazyView } from './components/lazy';

/** A household's page and adding or correcting one: chunks of their own (precached: they open offline too). */
const HouseholdPage = lazyView<{ id: string }>(() => import('./views/Household').then((m) => m.HouseholdPage));
const AddHousehold = lazyView<{ editId?: string; fixSeq?: number }>(() => import('./views/AddHousehold').then((m) => m.AddHousehold));

const LOCAL_ONLY_META = ['session', 'me', 'cursor', 'pull_progress', 'initial_sync_done', 'last_synced_at', 'client_id', 'next_seq', 'outbox_owner', 'visits_saved'];

async function logoutAndForget(): Promise<void> {
  // Only called with an empty outbox. A new user on this phone gets a new client_id.
  await db.transaction('rw', [db.meta, db.households, db.people, db.visits, db.statuses, db.units, db.skills, db.milestones, db.campaigns, db.drafts], async () => {
    await Promise.all([db.households, db.people, db.visits, db.statuses, db.units, db.skills, db.milestones, db.campaigns, db.drafts].map((tb) => tb.clear()));
    await db.meta.bulkDelete(LOCAL_ONLY_META);
  });
}

type DashboardProps = { onLogout?: () => void };

function LazyDashboard(props: DashboardProps) {
  const [View, setView] = useState<ComponentType<DashboardProps> | null>(null);
  useEffect(() => {
    void import('./dashboard/dashboard').then((m) => setView(() => m.default));
  }, []);
  return View ? <View {...props} /> : <main class="page">{t('dashboard_loading')}</main>;
}

type PasswordProps = { session: Session; onDone: (s: Session) => void };

/** The first-login password change: a chunk of its own, fetched once per account. */
function LazyChangePassword(props: PasswordProps) {
  const [View, setView] = useState<ComponentType<PasswordProps> | null>(null);
  useEffect(() => {
    void import('./views/ChangePassword').then((m) => setView(() => m.default));
  }, []);
  return View ? <View {...props} /> : <main class="page">{t('loading')}</main>;
}

type OfficialProps = { role: string; onLogout: () => void };

/** Officials' and admins' screens (reports, administration): a chunk of their own. */
function LazyOfficials(props: OfficialProps) {
  const [View, setView] = useState<ComponentType<OfficialProps> | null>(null);
  useEffect(() => {
    void import('./officials').then((m) => setView(() => m.default));
  }, []);
  return View ? <View {...props} /> : <main class="page">{t('loading')}</main>;
}

// Officials read reports and manage; they do not walk hamlets, so they get no sync of households.
const OFFICIAL_ROLES = ['commune_official', 'district_official', 'province_official', 'admin'];
const isOfficial = (role: string | undefined) => !!role && OFFICIAL_ROLES.includes(role);

export function App() {
  useLocale();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [relogin, setRelogin] = useState(false);
  const route = useRoute();
  const sync = useSyncState();
  const update = useUpdate();
  const me = useLive(() => getMeta<MeOut>(db, 'me'), [session?.user.id], undefined);

  useEffect(() => {
    void sessionStore.get().then(setSession);
  }, []);

  const usable = !!session && session.refresh_expires_at > Date.now() && !relogin;
  const official = isOfficial(session?.user.role);
  const mustChange = !!session?.user.must_change_password;
  useEffect(() => {
    if (!usable || official || mustChange) return;
    return startTriggers(engine);
  }, [usable, official, mustChange]);

  // Warn before closing the page with unsynced data.
  useEffect(() => {
    const fn = (e: BeforeUnloadEvent) => {
      if (pendingRef.n > 0 && !reloadState.intentional) {
        e.preventDefault();
        e.returnValue = t('unload_warning');
      }
    };
    window.addEventListener('beforeunload', fn);
    return () => window.removeEventListener('beforeunload', fn);
  }, []);
  const c = useLive(() => counts(db), [], NO_COUNTS);
  pendingRef.n = c.pending;

  if (session === undefined) return <main class="page">{t('loading')}</main>;
  if (!usable) {
    return (
      <>
        <Login
          expired={!!session}
          onLogin={(s) => {
            setSession(s);
            setRelogin(false);
            // A team leader's home is the team's progress; the walk list is one tap away.
            if (s.user.role === 'team_leader') location.hash = '#/team';
            if (!isOfficial(s.user.role) && !s.user.must_change_password) void engine.sync(true);
          }}
        />
        {update && <UpdatePrompt apply={update} />}
      </>
    );
  }

  if (mustChange) {
    return (
      <LazyChangePassword
        session={session}
        onDone={(s) => {
          setSession(s);
          if (!isOfficial(s.user.role)) void engine.sync(true);
        }}
      />
    );
  }

  if (official) {
    const logout = async () => {
      await logoutAndForget();
      setSession(null);
    };
    return (
      <>
        <LazyOfficials role={session.user.role} onLogout={logout} />
        {update && <UpdatePrompt apply={update} />}
      </>
    );
  }

  const isLeader = session.user.role === 'team_leader' || (me?.teams ?? []).some((tm) => tm.role === 'leader');
  let view;
  switch (route.name) {
    case 'household':
      view = <HouseholdPage id={route.id} />;
      break;
    case 'visit':
      view = <VisitForm householdId={route.id} fixSeq={route.fix} />;
      break;
    case 'new':
      view = <AddHousehold />;
      break;
    case 'edit':
      view = <AddHousehold editId={route.id} fixSeq={route.fix} />;
      break;
    case 'sync':
      view = (
        <SyncStatus
          session={session}
          onLogout={async () => {
            engine.stop();
            await logoutAndForget();
            setSession(null);
          }}
        />
      );
      break;
    case 'team':
      view = <Team session={session} />;
      break;
    case 'dashboard':
      view = <LazyDashboard />;
      break;
    default:
      view = <WalkList />;
  }
  return (
    <>
      <header class="topbar">
        <a href="#/" class="brand">
          {t('app_name')}
        </a>
        <StatusBar />
      </header>
      {sync.problem === 'auth' && (
        <p class="notice bad banner" role="alert">
          {t('problem_auth')}{' '}
          <button type="button" class="primary" onClick={() => setRelogin(true)}>
            {t('login_button')}
          </button>
        </p>
      )}
      {sync.problem === 'deactivated' && (
        <p class="notice bad banner" role="alert" data-testid="deactivated">
          {t('problem_deactivated')}
        </p>
      )}
      {sync.problem === 'update_required' && (
        <p class="notice bad banner" role="alert">
          {t('problem_update_required')}{' '}
          <button type="button" class="primary" onClick={() => location.reload()}>
            {t('reload')}
          </button>
        </p>
      )}
      {view}
      <nav class="bottomnav" aria-label={t('app_name')}>
        <a href="#/" aria-current={route.name === 'walk' ? 'page' : undefined}>
          {t('nav_walk')}
        </a>
        <a href="#/new" aria-current={route.name === 'new' ? 'page' : undefined}>
          {t('nav_new')}
        </a>
        {isLeader && (
          <a href="#/team" aria-current={route.name === 'team' ? 'page' : undefined}>
            {t('nav_team')}
          </a>
        )}
        <a href="#/sync" aria-current={route.name === 'sync' ? 'page' : undefined} data-testid="nav-sync">
          {t('nav_sync')}
        </a>
      </nav>
      {update && <UpdatePrompt apply={update} />}
      <Toaster />
    </>
  );
}

const pendingRef = { n: 0 };
