// The administration screens (issue 12): a unit's hamlets, people, teams, campaigns, skills, the
// household import and a phone's exported file. Loaded with import() for officials and admins only,
// so the volunteer bundle never carries it.
import { locale, setLocale, useLocale } from '../i18n';
import { href, useRoute } from '../router';
import { Busy, useGet } from './common';
import { CampaignsSection } from './campaigns';
import { ConversionSection } from './conversion';
import { HamletsSection } from './hamlets';
import { ImportSection } from './importer';
import { a, num, type AdminKey } from './messages';
import { OutboxSection } from './outbox';
import { PeopleSection } from './people';
import { AuditSection, HouseholdsSection, searchOnly } from './privacy';
import { SkillsSection } from './skills';
import { TeamsSection } from './teams';
import type { Me, Unit, UnitDetail } from './types';
import './admin.css';

const SECTIONS: Record<string, string[]> = {
  province: ['units', 'people', 'campaigns', 'skills', 'households', 'outbox', 'audit'],
  district: ['units', 'people', 'campaigns', 'households', 'outbox', 'audit'],
  commune: ['hamlets', 'people', 'teams', 'campaigns', 'import', 'households', 'outbox', 'audit'],
};

export default function Admin({ onLogout }: { onLogout: () => void }) {
  useLocale();
  const route = useRoute();
  const me = useGet<Me>('/me');
  const r = route.name === 'admin' ? route : { unitId: undefined, section: undefined, itemId: undefined };
  return (
    <main class="page admin">
      <div class="admin-head">
        <h1>{a('title')}</h1>
        <div class="row">
          <button type="button" onClick={() => setLocale(locale() === 'vi' ? 'en' : 'vi')}>
            {a('language')}
          </button>
          <button type="button" onClick={onLogout}>
            {a('logout')}
          </button>
        </div>
      </div>
      <Busy data={me.data} error={me.error} retry={me.reload}>
        {() => {
          const m = me.data!;
          const unitId = r.unitId ?? (m.user.role === 'admin' ? undefined : m.unit?.id);
          if (unitId) return <UnitPage key={unitId} unitId={unitId} section={r.section} itemId={r.itemId} me={m} />;
          if (m.user.role === 'admin') return <AdminHome />;
          return <p class="notice warn">{a('no_unit')}</p>;
        }}
      </Busy>
    </main>
  );
}

function AdminHome() {
  const provinces = useGet<Unit[]>('/units');
  return (
    <>
      <h2>{a('home_admin')}</h2>
      <p class="muted">{a('home_intro')}</p>
      <section class="card">
        <ConversionSection />
      </section>
      <section class="card">
        <h2>{a('units')}</h2>
        <Busy data={provinces.data} error={provinces.error} retry={provinces.reload}>
          {() => <UnitList units={provinces.data!} />}
        </Busy>
      </section>
      <section class="card">
        <h2>{a('officials')}</h2>
        <PeopleSection unit={null} />
      </section>
      <section class="card">
        <h2>{a('campaigns_all')}</h2>
        <CampaignsSection unit={null} />
      </section>
      <section class="card">
        <AuditSection />
      </section>
    </>
  );
}

function UnitList({ units }: { units: Unit[] }) {
  if (!units.length) return <p class="muted">{a('no_results')}</p>;
  return (
    <ul class="admin-list" data-testid="unit-list">
      {units.map((u) => (
        <li key={u.id}>
          <a class="admin-item" href={href({ name: 'admin', unitId: u.id })}>
            <span>{u.name}</span>
            {u.child_count > 0 && <span class="muted small">{a('children', { n: num(u.child_count) })}</span>}
          </a>
        </li>
      ))}
    </ul>
  );
}

function UnitPage({ unitId, section, itemId, me }: { unitId: number; section?: string; itemId?: number; me: Me }) {
  const detail = useGet<UnitDetail>(`/units/${unitId}`);
  return (
    <Busy data={detail.data} error={detail.error} retry={detail.reload}>
      {() => {
        const unit = detail.data!;
        if (unit.level === 'hamlet' && unit.parent_id) {
          location.replace(href({ name: 'admin', unitId: unit.parent_id, section: 'hamlets' }));
          return null;
        }
        const sections = SECTIONS[unit.level] ?? ['units'];
        const current = section && sections.includes(section) ? section : sections[0];
        // Officials see the chain above their unit as text; only their own unit and below are links.
        const own = me.unit ? `/${me.unit.id}/` : null;
        const reachable = (u: { id: number }) => me.user.role === 'admin' || (own !== null && unit.path.indexOf(own) <= unit.path.indexOf(`/${u.id}/`));
        return (
          <>
            <nav class="crumbs" aria-label={a('units')}>
              <ol>
                {me.user.role === 'admin' && (
                  <li>
                    <a href="#/admin">{a('home_admin')}</a>
                  </li>
                )}
                {unit.ancestors.map((u) => (
                  <li key={u.id}>{reachable(u) ? <a href={href({ name: 'admin', unitId: u.id })}>{u.name}</a> : <span>{u.name}</span>}</li>
                ))}
                <li>
                  <strong>{unit.name}</strong>
                </li>
              </ol>
            </nav>
            <nav class="tabs" aria-label={unit.name}>
              {sections.map((s) => (
                <a key={s} href={href({ name: 'admin', unitId, section: s })} aria-current={s === current ? 'page' : undefined} data-testid={`tab-${s}`}>
                  {a(`tab_${s}` as AdminKey)}
                </a>
              ))}
            </nav>
            <Section section={current} unit={unit} itemId={itemId} me={me} />
          </>
        );
      }}
    </Busy>
  );
}

function Section({ section, unit, itemId, me }: { section: string; unit: UnitDetail; itemId?: number; me: Me }) {
  switch (section) {
    case 'units':
      return <ChildUnits unit={unit} />;
    case 'hamlets':
      return <HamletsSection commune={unit} />;
    case 'people':
      return <PeopleSection unit={unit} />;
    case 'teams':
      return <TeamsSection commune={unit} teamId={itemId} />;
    case 'campaigns':
      return <CampaignsSection unit={unit} editId={itemId} />;
    case 'skills':
      return <SkillsSection province={unit} me={me} />;
    case 'import':
      return <ImportSection commune={unit} />;
    case 'outbox':
      return <OutboxSection />;
    case 'households':
      return <HouseholdsSection unit={unit} canErase={me.user.role === 'commune_official' || me.user.role === 'admin'} searchOnly={searchOnly(me)} />;
    case 'audit':
      return <AuditSection />;
    default:
      return null;
  }
}

function ChildUnits({ unit }: { unit: UnitDetail }) {
  const children = useGet<Unit[]>(`/units?parent_id=${unit.id}`);
  return (
    <section>
      <h2>{a('units')}</h2>
      <Busy data={children.data} error={children.error} retry={children.reload}>
        {() => <UnitList units={children.data!} />}
      </Busy>
    </section>
  );
}
