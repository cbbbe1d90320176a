import { useState } from 'preact/hooks';
import { api } from '../services';
import { Busy, CopyButton, localPhone, roleLabel, useAction, useGet } from './common';
import { a, num } from './messages';
import type { HamletRow, Me, Person, PersonCreated, PersonPage, Unit } from './types';

// Who may create whom (the server checks it again): each level creates the field roles and the officials below.
const CREATABLE: Record<string, string[]> = {
  commune_official: ['volunteer', 'team_leader'],
  district_official: ['volunteer', 'team_leader', 'commune_official'],
  province_official: ['volunteer', 'team_leader', 'commune_official', 'district_official'],
  admin: ['volunteer', 'team_leader', 'commune_official', 'district_official', 'province_official', 'admin'],
};
const ROLES_OF_LEVEL: Record<string, string[]> = {
  commune: ['volunteer', 'team_leader', 'commune_official'],
  district: ['district_official'],
  province: ['province_official'],
  none: ['admin'],
};
const FIELD = ['volunteer', 'team_leader'];

type Shown = { name: string; phone: string; password: string };

export function PeopleSection({ unit }: { unit: Unit | null }) {
  const me = useGet<Me>('/me');
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const params = new URLSearchParams({ limit: '100' });
  if (unit) params.set('unit_id', String(unit.id));
  if (query) params.set('q', query);
  const people = useGet<PersonPage>(`/users?${params}`);
  const hamlets = useGet<HamletRow[]>(unit?.level === 'commune' ? `/units/${unit.id}/hamlets` : null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [run, line] = useAction();
  const actorRole = me.data?.user.role ?? '';
  const roles = (ROLES_OF_LEVEL[unit?.level ?? 'none'] ?? []).filter((r) => (CREATABLE[actorRole] ?? []).includes(r));
  const activeHamlets = (hamlets.data ?? []).filter((h) => h.active);

  async function reset(p: Person) {
    if (!confirm(a('reset_confirm', { name: p.full_name }))) return;
    await run(async () => {
      const out = await api.send<PersonCreated>('PATCH', `/users/${p.id}`, { reset_password: true });
      if (out.temporary_password) setShown({ name: out.full_name, phone: out.phone, password: out.temporary_password });
      people.reload();
    });
  }

  async function setActive(p: Person, active: boolean) {
    if (!active && !confirm(a('deactivate_confirm', { name: p.full_name }))) return;
    if (await run(() => api.send('POST', `/users/${p.id}/${active ? 'reactivate' : 'deactivate'}`))) people.reload();
  }

  return (
    <section>
      {unit && <h2>{a('people_title', { unit: unit.name })}</h2>}
      {shown && <TemporaryPassword shown={shown} onClose={() => setShown(null)} />}
      {roles.length > 0 && (
        <CreatePerson
          unit={unit}
          roles={roles}
          hamlets={activeHamlets}
          onCreated={(p) => {
            if (p.temporary_password) setShown({ name: p.full_name, phone: p.phone, password: p.temporary_password });
            people.reload();
            hamlets.reload();
          }}
        />
      )}
      <form
        class="search-row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <input aria-label={a('search_people')} placeholder={a('search_people')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button type="submit" class="button">
          {a('search')}
        </button>
      </form>
      {line}
      <Busy data={people.data} error={people.error} retry={people.reload}>
        {() => (
          <>
            <p class="muted small">{a('total_people', { n: num(people.data!.total) })}</p>
            <ul class="admin-list" data-testid="people-list">
              {people.data!.items.map((p) => (
                <li key={p.id} class={p.is_active ? '' : 'inactive'}>
                  <div class="admin-item">
                    <div>
                      <strong>{p.full_name}</strong> <span class="muted">{localPhone(p.phone)}</span>
                      <div class="small">
                        {roleLabel(p.role)}
                        {FIELD.includes(p.role) && ` · ${p.area.length ? p.area.map((h) => h.name).join(', ') : a('no_hamlets')}`}
                        {p.teams.length > 0 && ` · ${p.teams.map((t) => t.name).join(', ')}`}
                      </div>
                      {!p.is_active && <span class="tag moved">{a('deactivated')}</span>}
                      {p.is_active && p.must_change_password && <span class="tag revisit">{a('must_change')}</span>}
                    </div>
                    {p.id !== me.data?.user.id && (CREATABLE[actorRole] ?? []).includes(p.role) && (
                      <div class="row">
                        {p.is_active && FIELD.includes(p.role) && unit?.level === 'commune' && (
                          <button type="button" onClick={() => setEditing(editing === p.id ? null : p.id)}>
                            {a('edit_hamlets')}
                          </button>
                        )}
                        {p.is_active && (
                          <button type="button" onClick={() => void reset(p)}>
                            {a('reset_password')}
                          </button>
                        )}
                        <button type="button" class={p.is_active ? 'danger' : ''} onClick={() => void setActive(p, !p.is_active)}>
                          {p.is_active ? a('deactivate') : a('reactivate')}
                        </button>
                      </div>
                    )}
                  </div>
                  {editing === p.id && (
                    <AreaForm
                      person={p}
                      hamlets={activeHamlets}
                      onDone={() => {
                        setEditing(null);
                        people.reload();
                      }}
                    />
                  )}
                </li>
              ))}
            </ul>
          </>
        )}
      </Busy>
    </section>
  );
}

function TemporaryPassword({ shown, onClose }: { shown: Shown; onClose: () => void }) {
  const phone = localPhone(shown.phone);
  return (
    <div class="card temp-password" role="status" data-testid="temporary-password">
      <h3>{a('temporary_title', { name: shown.name })}</h3>
      <p class="password" data-testid="temporary-password-value">
        {shown.password}
      </p>
      <p class="small muted">{a('temporary_help')}</p>
      <div class="row">
        <CopyButton text={a('copy_message', { phone, password: shown.password })} />
        <button type="button" onClick={onClose}>
          {a('close')}
        </button>
      </div>
    </div>
  );
}

function HamletChecks({ hamlets, chosen, setChosen }: { hamlets: HamletRow[]; chosen: number[]; setChosen: (ids: number[]) => void }) {
  return (
    <fieldset>
      <legend>{a('hamlets_assigned')}</legend>
      <div class="checks">
        {hamlets.map((h) => (
          <label class="check" key={h.id}>
            <input
              type="checkbox"
              checked={chosen.includes(h.id)}
              onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, h.id] : chosen.filter((i) => i !== h.id))}
            />
            {h.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function CreatePerson({ unit, roles, hamlets, onCreated }: { unit: Unit | null; roles: string[]; hamlets: HamletRow[]; onCreated: (p: PersonCreated) => void }) {
  const [open, setOpen] = useState(false);
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState(roles[0]);
  const [chosen, setChosen] = useState<number[]>([]);
  const [run, line, busy] = useAction();
  if (!open) {
    return (
      <button type="button" class="primary" onClick={() => setOpen(true)} data-testid="add-person">
        + {a('add_person')}
      </button>
    );
  }
  async function submit(e: Event) {
    e.preventDefault();
    const body = { phone, full_name: name, role, unit_id: unit?.id ?? null, hamlet_ids: FIELD.includes(role) ? chosen : [] };
    await run(async () => {
      const created = await api.send<PersonCreated>('POST', '/users', body);
      setPhone('');
      setName('');
      setChosen([]);
      setOpen(false);
      onCreated(created);
    });
  }
  return (
    <form class="card" onSubmit={submit}>
      <h3>{a('add_person')}</h3>
      <label>
        {a('phone')}
        <input name="phone" type="tel" inputMode="tel" required value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
      </label>
      <label>
        {a('full_name')}
        <input name="full_name" required maxLength={120} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        {a('role')}
        <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {a(`role_${r}` as 'role_volunteer')}
            </option>
          ))}
        </select>
      </label>
      {FIELD.includes(role) && hamlets.length > 0 && <HamletChecks hamlets={hamlets} chosen={chosen} setChosen={setChosen} />}
      {line}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {a('add_person')}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          {a('cancel')}
        </button>
      </div>
    </form>
  );
}

function AreaForm({ person, hamlets, onDone }: { person: Person; hamlets: HamletRow[]; onDone: () => void }) {
  const [chosen, setChosen] = useState<number[]>(person.area.map((h) => h.id));
  const [run, line, busy] = useAction();
  return (
    <form
      class="card"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await run(() => api.send('PUT', `/users/${person.id}/area`, { hamlet_ids: chosen }))) onDone();
      }}
    >
      <HamletChecks hamlets={hamlets} chosen={chosen} setChosen={setChosen} />
      {line}
      <button type="submit" class="primary" disabled={busy}>
        {a('save')}
      </button>
    </form>
  );
}
