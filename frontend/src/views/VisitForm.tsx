import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { db, getMeta, type CatalogItem, type Household, type Outcome, type OutboxEntry, type Person, type SkillLevel, type VisitIn } from '../db';
import { isStorageFull } from '../db/schema';
import { activeCampaign, FixGone, newId, rejectedVisit, resendRejectedVisit, saveVisit, type NewPerson, type Notice, type VisitDraft } from '../db/writes';
import { label, locale, rejectionReason, t, useLocale } from '../i18n';
import type { MessageKey } from '../i18n/messages';
import { go } from '../router';
import { loadMilestones, loadSkills } from '../components/catalog';
import { invalidMessage, registerOpenForm, takeVisitReturn } from '../components/forms';
import { toast } from '../components/Toast';
import { engine } from '../services';
import { PersonFields, personLabel } from './PersonFields';
import type { LessonsProps } from './Lessons';

interface FormState {
  outcome: Outcome | null;
  consent: boolean;
  notes: string;
  levels: Record<string, Record<string, SkillLevel>>;
  milestones: Record<string, string[]>;
  new_people: NewPerson[];
}

const OUTCOMES: Outcome[] = ['met', 'not_home', 'declined', 'moved'];
const NEXT: Record<string, SkillLevel | null> = { none: 'taught', taught: 'proficient', proficient: null };
const draftKey = (householdId: string, fixSeq?: number) => (fixSeq ? `visit-fix:${fixSeq}` : `visit:${householdId}`);

function emptyState(): FormState {
  // Consent is never pre-ticked, and no outcome is assumed: a tap on a skill means "met".
  return { outcome: null, consent: false, notes: '', levels: {}, milestones: {}, new_people: [] };
}

/** The form as the rejected visit left it: what the catalogue no longer knows is left out. */
function stateFromVisit(d: VisitIn, skills: CatalogItem[], milestones: CatalogItem[]): FormState {
  const skillIds = new Set(skills.map((s) => s.id));
  const milestoneIds = new Set(milestones.map((m) => m.id));
  const levels: FormState['levels'] = {};
  const reached: FormState['milestones'] = {};
  for (const p of d.people ?? []) {
    levels[p.person_id] = Object.fromEntries(Object.entries(p.skills ?? {}).filter(([s]) => skillIds.has(s))) as Record<string, SkillLevel>;
    reached[p.person_id] = (p.milestones ?? []).filter((m) => milestoneIds.has(m));
  }
  return { outcome: d.outcome as Outcome, consent: !!d.consent_given, notes: d.notes ?? '', levels, milestones: reached, new_people: [] };
}

/** A short name that fits a toggle: the catalogue's own wording stays the group's accessible name. */
export function shortSkill(s: CatalogItem): string {
  const key = `skill_short_${s.id}` as MessageKey;
  return key in SHORT ? t(key) : label(s);
}
function shortMilestone(m: CatalogItem): string {
  const key = `milestone_short_${m.id}` as MessageKey;
  return key in SHORT ? t(key) : label(m);
}
const SHORT = Object.fromEntries(
  [
    'skill_short_public_services',
    'skill_short_online_shopping',
    'skill_short_online_payment',
    'skill_short_online_safety',
    'skill_short_digital_platforms',
    'milestone_short_vneid_level2',
    'milestone_short_public_service_account',
    'milestone_short_payment_app',
    'milestone_short_ecommerce_app',
  ].map((k) => [k, true]),
);

/** An open book (no emoji: many phones and headless browsers lack the font). */
const BookIcon = () => (
  <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round">
    <path d="M12 6c-2-1.5-5-2-8-2v14c3 0 6 .5 8 2 2-1.5 5-2 8-2V4c-3 0-6 .5-8 2zM12 6v14" />
  </svg>
);

const levelText = (level: SkillLevel | undefined) =>
  level === 'proficient' ? `★ ${t('level_proficient')}` : level === 'taught' ? `✓ ${t('level_taught')}` : t('level_none');

/** The lesson cards: their own chunk, fetched (or taken from the service worker's cache) when first opened. */
function LazyLessons(props: LessonsProps) {
  const [View, setView] = useState<ComponentType<LessonsProps> | null>(null);
  useEffect(() => {
    void import('./Lessons').then((m) => setView(() => m.Lessons));
  }, []);
  return View ? <View {...props} /> : null;
}

export function VisitForm({ householdId, fixSeq }: { householdId: string; fixSeq?: number }) {
  useLocale();
  const [household, setHousehold] = useState<Household | undefined>(undefined);
  const [people, setPeople] = useState<Person[] | null>(null);
  const [skills, setSkills] = useState<CatalogItem[]>([]);
  const [milestones, setMilestones] = useState<CatalogItem[]>([]);
  const [state, setState] = useState<FormState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [consentInfo, setConsentInfo] = useState(false);
  const [notice, setNotice] = useState<Notice | undefined>(undefined);
  const [lessonsFor, setLessonsFor] = useState<CatalogItem | null>(null);
  // Correcting a rejected visit: the entry being fixed (null: it was handled meanwhile).
  const [fixing, setFixing] = useState<OutboxEntry | null | undefined>(undefined);
  const stateRef = useRef<FormState | null>(null);
  const returnTo = useRef(takeVisitReturn());
  stateRef.current = state;

  useEffect(() => {
    let alive = true;
    void (async () => {
      const [h, ps, sk, ms, draft, entry] = await Promise.all([
        db.households.get(householdId),
        db.people.where('household_id').equals(householdId).toArray(),
        loadSkills(),
        loadMilestones(),
        db.drafts.get(draftKey(householdId, fixSeq)),
        fixSeq ? rejectedVisit(db, fixSeq) : undefined,
      ]);
      if (!alive) return;
      const fix = entry && (entry.data as VisitIn).household_id === householdId ? entry : null;
      if (fixSeq) setFixing(fix);
      setNotice(await getMeta<Notice>(db, 'notice'));
      const live = ps.filter((p) => !p.deleted);
      live.sort((a, b) => collator.compare(a.full_name ?? '', b.full_name ?? ''));
      setHousehold(h);
      setPeople(live);
      setSkills(sk);
      setMilestones(ms);
      if (draft) {
        setState({ ...emptyState(), ...(draft.value as Partial<FormState>) });
        toast(t('draft_restored'));
      } else setState(fix ? stateFromVisit(fix.data as VisitIn, sk, ms) : emptyState());
    })();
    return () => {
      alive = false;
    };
  }, [householdId, fixSeq]);

  const saveDraft = async () => {
    if (stateRef.current) {
      await db.drafts.put({ key: draftKey(householdId, fixSeq), route: location.hash, value: stateRef.current, saved_at: new Date().toISOString() });
    }
  };

  // Keep a draft while the form is open, so an update reload (or a killed tab) loses nothing.
  useEffect(() => registerOpenForm(saveDraft), [householdId, fixSeq]);
  useEffect(() => {
    if (!state) return;
    const id = setTimeout(() => void saveDraft().catch(() => undefined), 300);
    return () => clearTimeout(id);
  }, [state]);

  if (fixing === null) {
    return (
      <main class="page">
        <p class="notice" data-testid="fix-gone">
          {t('fix_gone')}
        </p>
        <a href="#/sync" class="button">
          {t('nav_sync')}
        </a>
      </main>
    );
  }
  if (!state || !people) return <main class="page">{t('loading')}</main>;
  // Ticking consent, a skill or a milestone means someone was met.
  const update = (patch: Partial<FormState>, meeting = false) =>
    setState({ ...state, ...patch, ...(meeting && !state.outcome ? { outcome: 'met' as const } : {}) });
  const showMet = state.outcome === null || state.outcome === 'met';
  const peopleGone = fixing ? ((fixing.data as VisitIn).people ?? []).filter((p) => !people.some((x) => x.id === p.person_id)).length : 0;

  const cycle = (pid: string, skill: string) => {
    const mine = { ...(state.levels[pid] ?? {}) };
    const next = NEXT[mine[skill] ?? 'none'];
    if (next) mine[skill] = next;
    else delete mine[skill];
    update({ levels: { ...state.levels, [pid]: mine } }, true);
  };
  const allProficient = (pid: string) =>
    update({ levels: { ...state.levels, [pid]: Object.fromEntries(skills.map((s) => [s.id, 'proficient' as const])) } }, true);
  const toggleMilestone = (pid: string, mid: string) => {
    const cur = state.milestones[pid] ?? [];
    update({ milestones: { ...state.milestones, [pid]: cur.includes(mid) ? cur.filter((m) => m !== mid) : [...cur, mid] } }, true);
  };
  const taughtSomething = (pid: string) => Object.keys(state.levels[pid] ?? {}).length > 0 || (state.milestones[pid] ?? []).length > 0;

  async function submit(e: Event) {
    e.preventDefault();
    if (!state || !state.outcome) {
      setError(t('choose_outcome'));
      return;
    }
    const invalid = invalidMessage(e.currentTarget as HTMLFormElement, t);
    if (invalid) {
      setError(invalid);
      return;
    }
    setSaving(true);
    setError(null);
    // The people taught are those with a skill or a milestone ticked, and everyone quick-added.
    const chosen = [...people!.filter((p) => taughtSomething(p.id)).map((p) => p.id), ...state.new_people.map((p) => p.id)];
    const draft: VisitDraft = {
      household_id: householdId,
      outcome: state.outcome,
      consent_given: state.consent,
      notes: state.notes,
      new_people: state.new_people,
      people: chosen.map((pid) => ({ person_id: pid, skills: state.levels[pid] ?? {}, milestones: state.milestones[pid] ?? [] })),
    };
    try {
      if (fixSeq) await resendRejectedVisit(db, fixSeq, draft);
      else await saveVisit(db, draft, { campaign: await activeCampaign(db) });
    } catch (err) {
      setSaving(false);
      if (err instanceof FixGone) setError(t('fix_gone'));
      else setError(isStorageFull(err) ? t('storage_full') : t('save_failed', { error: String((err as Error)?.message ?? err) }));
      return;
    }
    await db.drafts.delete(draftKey(householdId, fixSeq)).catch(() => undefined);
    if (fixSeq) {
      toast(t('resent'));
      void engine.sync(false);
      go({ name: 'sync' }, true);
      return;
    }
    // Ask the browser to keep our data once there is something worth keeping.
    if ((await getMeta<number>(db, 'visits_saved')) === 1) void navigator.storage?.persist?.();
    toast(t('saved'));
    void engine.sync(false);
    go(returnTo.current === 'walk' ? { name: 'walk' } : { name: 'household', id: householdId }, true);
  }

  const personBlock = (pid: string, title: string, index: number, removable: boolean) => (
    <section class="person" key={pid} data-testid="person-skills" aria-labelledby={`p-${index}`}>
      <h2 class="person-name" id={`p-${index}`}>
        {title}
        {removable && (
          <button type="button" class="link small-link" onClick={() => update({ new_people: state.new_people.filter((p) => p.id !== pid) })}>
            {t('cancel')}
          </button>
        )}
      </h2>
      <div class="skill-grid">
        {skills.map((s) => {
          const level = state.levels[pid]?.[s.id];
          return (
            <div class="skill-cell" key={s.id} role="group" aria-label={label(s)}>
              <button
                type="button"
                class={`level-toggle ${level ?? 'none'}`}
                onClick={() => cycle(pid, s.id)}
                aria-label={`${label(s)}: ${levelText(level)}`}
                title={t('level_cycle_hint')}
                data-testid={`skill-${s.id}`}
                data-level={level ?? 'none'}
              >
                <span class="s-name">{shortSkill(s)}</span>
                <span class="s-level">{levelText(level)}</span>
              </button>
              <button type="button" class="lesson-button" aria-label={t('lessons_open', { skill: label(s) })} onClick={() => setLessonsFor(s)} data-testid={`lessons-${s.id}`}>
                <BookIcon />
              </button>
            </div>
          );
        })}
        <button type="button" class="all5" onClick={() => allProficient(pid)} data-testid="all-proficient">
          ★ {t('all_proficient')}
        </button>
      </div>
      {milestones.length > 0 && (
        <div class="milestone-chips" role="group" aria-label={t('milestones')}>
          {milestones.map((m) => (
            <button
              type="button"
              key={m.id}
              class="chip"
              aria-pressed={(state.milestones[pid] ?? []).includes(m.id)}
              title={label(m)}
              onClick={() => toggleMilestone(pid, m.id)}
            >
              {shortMilestone(m)}
            </button>
          ))}
        </div>
      )}
    </section>
  );

  return (
    <main class="page visit-form">
      <form onSubmit={submit} noValidate data-testid="visit-form">
        <h1 class="visit-title">
          {household?.head_name || t('household')}
          {household?.address && <span class="muted"> · {household.address}</span>}
        </h1>
        {fixing && (
          <div class="notice bad small fix-notice" role="alert" data-testid="fix-notice">
            <strong>{t('fix_visit_title')}:</strong> {rejectionReason(fixing.error)}
            <br />
            {t('fix_visit_help')}
            {peopleGone > 0 && (
              <>
                <br />
                {t('fix_people_gone', { n: peopleGone })}
              </>
            )}
          </div>
        )}
        <div class="outcomes" role="group" aria-label={t('outcome')}>
          {OUTCOMES.map((o) => (
            <button type="button" key={o} class="outcome" aria-pressed={state.outcome === o} onClick={() => update({ outcome: o })}>
              {t(`outcome_${o}` as const)}
            </button>
          ))}
        </div>

        {showMet && (
          <>
            <div class="consent-row">
              <label class="check consent-check">
                <input type="checkbox" name="consent" checked={state.consent} onChange={(e) => update({ consent: e.currentTarget.checked }, true)} />
                {t('consent_given')}
              </label>
              <button type="button" class="info-button" aria-expanded={consentInfo} aria-label={t('consent_more')} onClick={() => setConsentInfo(!consentInfo)}>
                <span aria-hidden="true">ⓘ</span>
              </button>
            </div>
            {consentInfo && (
              <p class="small notice consent-notice" data-testid="consent-notice">
                {notice ? (locale() === 'vi' ? notice.text_vi : notice.text_en) : t('consent_notice_missing')}
              </p>
            )}

            {people.map((p, i) => personBlock(p.id, personLabel(p), i, false))}
            {state.new_people.map((np, i) => (
              <div key={np.id} class="new-person">
                {personBlock(np.id, np.full_name && state.consent ? np.full_name : `${t('add_person')} ${i + 1}`, people.length + i, true)}
                <PersonFields
                  name={np.full_name ?? ''}
                  setName={(v) => update({ new_people: state.new_people.map((x, j) => (j === i ? { ...x, full_name: v } : x)) })}
                  year={np.birth_year ? String(np.birth_year) : ''}
                  setYear={(v) => update({ new_people: state.new_people.map((x, j) => (j === i ? { ...x, birth_year: v ? Number(v) : null } : x)) })}
                  sex={np.sex ?? ''}
                  setSex={(v) => update({ new_people: state.new_people.map((x, j) => (j === i ? { ...x, sex: v || null } : x)) })}
                  namesAllowed={state.consent}
                />
              </div>
            ))}
          </>
        )}

        <label class="notes">
          {t('notes')}
          {!state.consent && <span class="muted small"> — {t('notes_private')}</span>}
          <textarea
            name="notes"
            rows={1}
            maxLength={1000}
            value={state.notes}
            onInput={(e) => update({ notes: e.currentTarget.value })}
            data-testid="visit-notes"
          />
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
          {showMet && (
            <button
              type="button"
              onClick={() => update({ new_people: [...state.new_people, { id: newId(), full_name: null, birth_year: null, sex: null }] }, true)}
              aria-label={t('quick_add_person')}
            >
              {t('add_person_short')}
            </button>
          )}
          <button
            type="button"
            onClick={async () => {
              await db.drafts.delete(draftKey(householdId, fixSeq)).catch(() => undefined);
              if (fixSeq) go({ name: 'sync' }, true);
              else go(returnTo.current === 'walk' ? { name: 'walk' } : { name: 'household', id: householdId }, true);
            }}
          >
            {t('cancel')}
          </button>
        </div>
      </form>
      {lessonsFor && <LazyLessons skill={lessonsFor} onClose={() => setLessonsFor(null)} />}
    </main>
  );
}

const collator = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });
