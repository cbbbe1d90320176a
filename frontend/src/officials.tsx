// What officials and admins see: reports (the dashboard) and "Quản lý" (the administration screens).
// Its own chunk, loaded only for them: the volunteer bundle carries neither the shell nor its screens.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { locale, t, useLocale } from './i18n';
import { useRoute } from './router';

type ViewProps = { onLogout: () => void };

const TEXT = {
  reports: ['Báo cáo', 'Reports'],
  manage: ['Quản lý', 'Manage'],
  loading: ['Đang tải…', 'Loading…'],
} as const;
const say = (key: keyof typeof TEXT) => TEXT[key][locale() === 'vi' ? 0 : 1];

function Lazy({ load, ...props }: ViewProps & { load: () => Promise<{ default: ComponentType<ViewProps> }> }) {
  const [View, setView] = useState<ComponentType<ViewProps> | null>(null);
  useEffect(() => {
    void load().then((m) => setView(() => m.default));
  }, [load]);
  return View ? <View {...props} /> : <main class="page">{say('loading')}</main>;
}

const loadAdmin = () => import('./admin/admin');
const loadDashboard = () => import('./dashboard/dashboard');

export default function Officials({ role, onLogout }: { role: string; onLogout: () => void }) {
  useLocale();
  const route = useRoute();
  // An admin has no unit to report on: their home is the administration; officials start on the dashboard.
  const admin = role === 'admin';
  const manage = route.name === 'admin' || (admin && route.name !== 'dashboard');
  return (
    <>
      <header class="topbar">
        <nav class="topnav" aria-label={t('app_name')}>
          <a href={admin ? '#/admin' : '#/dashboard'} class="brand">
            {t('app_name')}
          </a>
          {!admin && (
            <a href="#/dashboard" aria-current={!manage ? 'page' : undefined}>
              {say('reports')}
            </a>
          )}
          <a href="#/admin" aria-current={manage ? 'page' : undefined} data-testid="nav-manage">
            {say('manage')}
          </a>
        </nav>
      </header>
      <Lazy key={manage ? 'admin' : 'dashboard'} load={manage ? loadAdmin : loadDashboard} onLogout={onLogout} />
    </>
  );
}
