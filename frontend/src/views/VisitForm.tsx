import { useEffect, useRef, useState } from 'preact/hooks';
import { db, getMeta, type CatalogItem, type Outcome, type Person, type SkillLevel } from '../db';
import { isStorageFull } from '../db/schema';
import { activeCampaign, newId, saveVisit, type NewPerson } from '../db/writes';
import { label, t, useLocale } from '../i18n';
import { go } from '../router';
import { loadMilestones, loadSkills } from '../components/catalog';
import { registerOpenForm } from '../components/forms';
import { toast } from '../components/Toast';
import { engine } from '../services';
import { PersonFields, personLabel } from './Household';

interface FormState {
  outcome: Outcome | null;
  consent: boolean;
  notes: string;
  present: Record<string, boolean>;
  levels: Record<string, Record<string, SkillLevel>>;
  milestones: Record<string, string[]>;
  new_people: NewPerson[];
}

const OUTCOMES: Outcome[] = ['met', 'not_home', 'declined', 'moved'];
const draftKey = (householdId: string) => `visit:${householdId}`;

function emptyState(people: Person[]): FormState {
  // A one-person household: that person is the one present (consent is never pre-ticked).
  const present: Record<string, boolean> = people.length === 1 ? { [people[0].id]: true } : {};
  return { outcome: null, consent: false, notes: '', present, levels: {}, milestones: {}, new_people: [] };
}

export function VisitForm({ householdId }: { householdId: string }) {
  useLocale();
  const [people, setPeople] = useState<Person[] | null>(null);
  const [skills, setSkills] = useState<CatalogItem[]>([]);
  const [milestones, setMilestones] = useState<CatalogItem[]>([]);
  const [state, setState] = useState<FormState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const stateRef = useRef<FormState | null>(null);
  stateRef.current = state;

  useEffect(() => {
    let alive = true;
    void (async () => {
      const [ps, sk, ms, draft] = await Promise.all([
        db.people.where('household_id').equals(householdId).toArray(),
        loadSkills(),
        loadMilestones(),
        db.drafts.get(draftKey(householdId)),
      ]);
      if (!alive) return;
      const live = ps.filter((p) => !p.deleted);
      setPeople(live);
      setSkills(sk);
      setMilestones(ms);
      if (draft) {
        setState(draft.value as FormState);
        toast(t('draft_restored'));
      } else setState(emptyState(live));
    })();
    return () => {
      alive = false;
    };
  }, [householdId]);

  const saveDraft = async () => {
    if (stateRef.current) {
      await db.drafts.put({ key: draftKey(householdId), route: location.hash, value: stateRef.current, saved_at: new Date().toISOString() });
    }
  };

  // Keep a draft while the form is open, so an update reload (or a killed tab) loses nothing.
  useEffect(() => registerOpenForm(saveDraft), [householdId]);
  useEffect(() => {
    if (!state) return;
    const id = setTimeout(() => void saveDraft().catch(() => undefined), 300);
    return () => clearTimeout(id);
  }, [state]);

  if (!state || !people) return <main class="page">{t('loading')}</main>;
  const update = (patch: Partial<FormState>) => setState({ ...state, ...patch });
  const met = state.outcome === 'met';

  const setLevel = (pid: string, skill: string, level: SkillLevel | null) => {
    const mine = { ...(state.levels[pid] ?? {}) };
    if (level) mine[skill] = level;
    else delete mine[skill];
    update({ levels: { ...state.levels, [pid]: mine } });
  };
  const allProficient = (pid: string) =>
    update({
      levels: { ...state.levels, [pid]: Object.fromEntries(skills.map((s) => [s.id, 'proficient' as const])) },
      present: people.some((p) => p.id === pid) ? { ...state.present, [pid]: true } : state.present,
    });
  const toggleMilestone = (pid: string, mid: string) => {
    const cur = state.milestones[pid] ?? [];
    update({ milestones: { ...state.milestones, [pid]: cur.includes(mid) ? cur.filter((m) => m !== mid) : [...cur, mid] } });
  };

  async function submit(e: Event) {
    e.preventDefault();
    if (!state || !state.outcome) {
      setError(t('choose_outcome'));
      return;
    }
    setSaving(true);
    setError(null);
    const chosen = [...people!.filter((p) => state.present[p.id]).map((p) => p.id), ...state.new_people.map((p) => p.id)];
    try {
      await saveVisit(
        db,
        {
          household_id: householdId,
          outcome: state.outcome,
          consent_given: state.consent,
          notes: state.notes,
          new_people: state.new_people,
          people: chosen.map((pid) => ({ person_id: pid, skills: state.levels[pid] ?? {}, milestones: state.milestones[pid] ?? [] })),
        },
        { campaign: await activeCampaign(db) },
      );
    } catch (err) {
      setSaving(false);
      setError(isStorageFull(err) ? t('storage_full') : t('save_failed', { error: String((err as Error)?.message ?? err) }));
      return;
    }
    await db.drafts.delete(draftKey(householdId)).catch(() => undefined);
    // Ask the browser to keep our data once there is something worth keeping.
    if ((await getMeta<number>(db, 'visits_saved')) === 1) void navigator.storage?.persist?.();
    toast(t('saved'));
    void engine.sync(false);
    go({ name: 'household', id: householdId }, true);
  }

  const personBlock = (pid: string, title: string, removable: boolean) => (
    <fieldset class="person card" key={pid} data-testid="person-skills">
      <legend>{title}</legend>
      <button type="button" class="primary big" onClick={() => allProficient(pid)}>
        ★ {t('all_proficient')}
      </button>
      {skills.map((s) => {
        const level = state.levels[pid]?.[s.id];
        return (
          <div class="skill" key={s.id} role="group" aria-label={label(s)}>
            <span class="skill-name">{label(s)}</span>
            <div class="segmented">
              <button type="button" aria-pressed={!level} onClick={() => setLevel(pid, s.id, null)}>
                {t('level_none')}
              </button>
              <button type="button" aria-pressed={level === 'taught'} onClick={() => setLevel(pid, s.id, 'taught')}>
                {t('level_taught')}
              </button>
              <button type="button" aria-pressed={level === 'proficient'} onClick={() => setLevel(pid, s.id, 'proficient')}>
                {t('level_proficient')}
              </button>
            </div>
          </div>
        );
      })}
      {milestones.length > 0 && (
        <details>
          <summary>{t('milestones')}</summary>
          {milestones.map((m) => (
            <label class="check" key={m.id}>
              <input type="checkbox" checked={(state.milestones[pid] ?? []).includes(m.id)} onChange={() => toggleMilestone(pid, m.id)} />
              {label(m)}
            </label>
          ))}
        </details>
      )}
      {removable && (
        <button type="button" class="link" onClick={() => update({ new_people: state.new_people.filter((p) => p.id !== pid) })}>
          {t('cancel')}
        </button>
      )}
    </fieldset>
  );

  return (
    <main class="page visit-form">
      <form onSubmit={submit} data-testid="visit-form">
        <h1>{t('visit_title')}</h1>
        <fieldset>
          <legend>{t('outcome')}</legend>
          <div class="outcomes">
            {OUTCOMES.map((o) => (
              <button type="button" key={o} class="outcome" aria-pressed={state.outcome === o} onClick={() => update({ outcome: o })}>
                {t(`outcome_${o}` as const)}
              </button>
            ))}
          </div>
        </fieldset>

        {met && (
          <>
            <fieldset class="consent card">
              <legend>{t('consent_title')}</legend>
              <p class="small">{t('consent_notice')}</p>
              <label class="check big-check">
                <input type="checkbox" name="consent" checked={state.consent} onChange={(e) => update({ consent: e.currentTarget.checked })} />
                {t('consent_given')}
              </label>
            </fieldset>

            <h2>{t('people_present')}</h2>
            {people.map((p) => (
              <div key={p.id}>
                <label class="check big-check">
                  <input type="checkbox" checked={!!state.present[p.id]} onChange={(e) => update({ present: { ...state.present, [p.id]: e.currentTarget.checked } })} />
                  {personLabel(p)} — {t('present')}
                </label>
                {state.present[p.id] && personBlock(p.id, personLabel(p), false)}
              </div>
            ))}
            {state.new_people.map((np, i) => (
              <div key={np.id} class="new-person">
                <PersonFields
                  name={np.full_name ?? ''}
                  setName={(v) => update({ new_people: state.new_people.map((x, j) => (j === i ? { ...x, full_name: v } : x)) })}
                  year={np.birth_year ? String(np.birth_year) : ''}
                  setYear={(v) => update({ new_people: state.new_people.map((x, j) => (j === i ? { ...x, birth_year: v ? Number(v) : null } : x)) })}
                  sex={np.sex ?? ''}
                  setSex={(v) => update({ new_people: state.new_people.map((x, j) => (j === i ? { ...x, sex: v || null } : x)) })}
                  namesAllowed={state.consent}
                />
                {personBlock(np.id, np.full_name && state.consent ? np.full_name : `${t('add_person')} ${i + 1}`, true)}
              </div>
            ))}
            <button
              type="button"
              class="big"
              onClick={() => update({ new_people: [...state.new_people, { id: newId(), full_name: null, birth_year: null, sex: null }] })}
            >
              {t('quick_add_person')}
            </button>
          </>
        )}

        <label>
          {t('notes')}
          <textarea name="notes" rows={2} maxLength={1000} value={state.notes} onInput={(e) => update({ notes: e.currentTarget.value })} />
        </label>
        {error && (
          <p class="notice bad" role="alert" data-testid="save-error">
            {error}
          </p>
        )}
        <div class="sticky-actions">
          <button type="submit" class="primary big" disabled={saving} data-testid="save-visit">
            {t('save')}
          </button>
          <button
            type="button"
            onClick={async () => {
              await db.drafts.delete(draftKey(householdId)).catch(() => undefined);
              go({ name: 'household', id: householdId }, true);
            }}
          >
            {t('cancel')}
          </button>
        </div>
      </form>
    </main>
  );
}
