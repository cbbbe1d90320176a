import { useState } from 'preact/hooks';
import { href } from '../router';
import { api } from '../services';
import { Busy, roleLabel, useAction, useGet } from './common';
import { a } from './messages';
import type { HamletRow, PersonPage, TeamDetail, TeamPage, Unit } from './types';

function CoversSelect({ commune, hamlets, value, onChange }: { commune: Unit; hamlets: HamletRow[]; value: string; onChange: (v: string) => void }) {
  return (
    <label>
      {a('team_covers')}
      <select name="covers" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value={commune.id}>{a('whole_commune', { name: commune.name })}</option>
        {hamlets.map((h) => (
          <option key={h.id} value={h.id}>
            {h.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function TeamsSection({ commune, teamId }: { commune: Unit; teamId?: number }) {
  const teams = useGet<TeamPage>(`/teams?unit_id=${commune.id}&limit=200`);
  const hamlets = useGet<HamletRow[]>(`/units/${commune.id}/hamlets`);
  const active = (hamlets.data ?? []).filter((h) => h.active);
  const [name, setName] = useState('');
  const [covers, setCovers] = useState('');
  const [run, line, busy] = useAction();
  if (teamId) return <TeamPageView commune={commune} teamId={teamId} hamlets={active} />;

  async function create(e: Event) {
    e.preventDefault();
    const unitId = Number(covers || (active.length === 1 ? active[0].id : commune.id));
    await run(async () => {
      const team = await api.send<TeamDetail>('POST', '/teams', { name: name.trim(), unit_id: unitId });
      setName('');
      location.hash = href({ name: 'admin', unitId: commune.id, section: 'teams', itemId: team.id });
    });
  }

  return (
    <section>
      <h2>{a('teams_title', { unit: commune.name })}</h2>
      <form class="card" onSubmit={create}>
        <label>
          {a('team_name')}
          <input name="team_name" required maxLength={120} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Tổ CNSCĐ Ấp Thạnh Hòa" />
        </label>
        <CoversSelect commune={commune} hamlets={active} value={covers || String(active.length === 1 ? active[0].id : commune.id)} onChange={setCovers} />
        {line}
        <button type="submit" class="primary" disabled={busy}>
          {a('add_team')}
        </button>
      </form>
      <Busy data={teams.data} error={teams.error} retry={teams.reload}>
        {() =>
          teams.data!.items.length ? (
            <ul class="admin-list" data-testid="team-list">
              {teams.data!.items.map((t) => (
                <li key={t.id}>
                  <a class="admin-item" href={href({ name: 'admin', unitId: commune.id, section: 'teams', itemId: t.id })}>
                    <span>
                      <strong>{t.name}</strong>
                      <br />
                      <span class="muted small">
                        {t.unit_name} · {a('member_count', { n: t.member_count })}
                      </span>
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">{a('no_results')}</p>
          )
        }
      </Busy>
    </section>
  );
}

function TeamPageView({ commune, teamId, hamlets }: { commune: Unit; teamId: number; hamlets: HamletRow[] }) {
  const team = useGet<TeamDetail>(`/teams/${teamId}`);
  const people = useGet<PersonPage>(`/users?unit_id=${commune.id}&active=true&limit=500`);
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState('member');
  const [run, line, busy] = useAction();

  const change = async (fn: () => Promise<unknown>) => {
    if (await run(fn)) {
      team.reload();
      people.reload();
    }
  };

  return (
    <section>
      <p>
        <a class="back" href={href({ name: 'admin', unitId: commune.id, section: 'teams' })}>
          ← {a('tab_teams')}
        </a>
      </p>
      <Busy data={team.data} error={team.error} retry={team.reload}>
        {() => {
          const t = team.data!;
          const inTeam = new Set(t.members.map((m) => m.user_id));
          const candidates = (people.data?.items ?? []).filter((p) => ['volunteer', 'team_leader'].includes(p.role) && !inTeam.has(p.id));
          return (
            <>
              <h2>{t.name}</h2>
              <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
                <CoversSelect commune={commune} hamlets={hamlets} value={String(t.unit_id)} onChange={(v) => void change(() => api.send('PATCH', `/teams/${t.id}`, { unit_id: Number(v) }))} />
              </form>
              <h3>{a('members')}</h3>
              <ul class="admin-list" data-testid="member-list">
                {t.members.map((m) => (
                  <li key={m.user_id}>
                    <div class="admin-item">
                      <div>
                        <strong>{m.full_name}</strong> <span class="tag local">{a(`team_role_${m.role}` as 'team_role_member')}</span>
                        <div class="muted small">{roleLabel(m.user_role)}</div>
                      </div>
                      <div class="row">
                        {m.role !== 'leader' && m.user_role === 'team_leader' && (
                          <button type="button" onClick={() => void change(() => api.send('POST', `/teams/${t.id}/members`, { user_id: m.user_id, role: 'leader' }))}>
                            {a('make_leader')}
                          </button>
                        )}
                        <button type="button" class="danger" onClick={() => void change(() => api.send('DELETE', `/teams/${t.id}/members/${m.user_id}`))}>
                          {a('remove')}
                        </button>
                      </div>
                    </div>
                  </li>
                ))}
              </ul>
              <form
                class="card"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (!userId) return;
                  void change(() => api.send('POST', `/teams/${t.id}/members`, { user_id: Number(userId), role, move: true }));
                  setUserId('');
                }}
              >
                <h3>{a('add_member')}</h3>
                <label>
                  {a('full_name')}
                  <select name="member" value={userId} onChange={(e) => setUserId(e.currentTarget.value)} required>
                    <option value="">{a('choose')}</option>
                    {candidates.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.full_name} ({roleLabel(p.role)})
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  {a('role')}
                  <select name="team_role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                    <option value="member">{a('team_role_member')}</option>
                    <option value="deputy">{a('team_role_deputy')}</option>
                    <option value="leader">{a('team_role_leader')}</option>
                  </select>
                </label>
                {role === 'leader' && <p class="small muted">{a('leader_needs_role')}</p>}
                {line}
                <button type="submit" class="primary" disabled={busy}>
                  {a('add_member')}
                </button>
              </form>
            </>
          );
        }}
      </Busy>
    </section>
  );
}
