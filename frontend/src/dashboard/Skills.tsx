// People taught and proficient, skill by skill, each bar against the people of the unit (or, for a unit
// whose lists carry no people yet, its households: the target is per household).
import type { Coverage } from '../api/types';
import { label } from '../i18n';
import { d, num, pct } from './messages';

function Bar({ kind, name, value, base }: { kind: 'taught' | 'proficient'; name: string; value: number; base: number }) {
  const share = base > 0 ? Math.min(100, (100 * value) / base) : 0;
  return (
    <div class="skill-row">
      <div class="bar" aria-hidden="true">
        {/* A non-zero figure always shows: a few people out of thousands is not nothing. */}
        <span class={kind} style={{ width: value > 0 ? `max(3px, ${share}%)` : '0' }} />
      </div>
      <div class="small">
        {name}: <strong>{num(value)}</strong> ({pct(Math.round(share * 10) / 10)})
      </div>
    </div>
  );
}

export function Skills({ report }: { report: Coverage }) {
  const totals = report.totals;
  const byPeople = totals.people > 0;
  const base = byPeople ? totals.people : totals.households;
  const byId = new Map(totals.skills.map((s) => [s.skill_id, s]));
  const reached = new Map(totals.milestones.map((m) => [m.milestone_id, m.people]));
  return (
    <section class="card">
      <h2>{d('skills')}</h2>
      <p class="small muted" data-testid="skills-base">
        {byPeople ? d('skills_base_people', { n: num(base) }) : d('skills_base_households', { n: num(base) })}
      </p>
      <ul class="legend" aria-label={d('legend')}>
        <li>
          <span class="swatch taught" aria-hidden="true" /> {d('taught')}
        </li>
        <li>
          <span class="swatch proficient" aria-hidden="true" /> {d('proficient')}
        </li>
      </ul>
      <ul class="bars" data-testid="skills">
        {report.skills.map((s) => {
          const f = byId.get(s.id) ?? { people_taught: 0, people_proficient: 0 };
          return (
            <li key={s.id} data-skill={s.id}>
              <div class="skill-name">{label(s)}</div>
              <Bar kind="taught" name={d('taught')} value={f.people_taught} base={base} />
              <Bar kind="proficient" name={d('proficient')} value={f.people_proficient} base={base} />
            </li>
          );
        })}
      </ul>
      {report.milestones.length > 0 && (
        <>
          <h3>{d('milestones')}</h3>
          <ul class="plain" data-testid="milestones">
            {report.milestones.map((m) => (
              <li key={m.id}>
                {label(m)}: <strong>{d('people_count', { n: num(reached.get(m.id) ?? 0) })}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
