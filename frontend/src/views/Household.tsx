import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { db, getMeta, type Household, type HouseholdConsent, type Person } from '../db';
import { shownConsent } from '../db/consent';
import { useLive } from '../db/live';
import { newId, NoNotice, saveConsent, savePerson, type Notice } from '../db/writes';
import { isStorageFull } from '../db/schema';
import { formatDate, formatTime, locale, t, useLocale } from '../i18n';
import { PersonFields, personLabel } from './PersonFields';
import { href } from '../router';
import { loadSkills } from '../components/catalog';
import { SkillBadges } from '../components/SkillBadges';
import { toast } from '../components/Toast';
import { invalidMessage } from '../components/forms';
import { engine } from '../services';

async function load(id: string) {
  const [household, people, visits, skills, consentPending, notice] = await Promise.all([
    db.households.get(id),
    db.people.where('household_id').equals(id).toArray(),
    db.visits.where('household_id').equals(id).toArray(),
    loadSkills(),
    db.outbox
      .where('id')
      .equals(id)
      .filter((e) => e.kind === 'household.consent' && e.state === 'pending')
      .count(),
    getMeta<Notice>(db, 'notice'),
  ]);
  visits.sort((a, b) => (a.visited_at < b.visited_at ? 1 : -1));
  const consent = shownConsent(household?.consent, visits);
  return { household, people: people.filter((p) => !p.deleted), visits, skills, consent, consentPending: consentPending > 0, notice };
}

export function HouseholdPage({ id }: { id: string }) {
  useLocale();
  const data = useLive(() => load(id), [id], null as Awaited<ReturnType<typeof load>> | null);
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  if (!data) return <main class="page">{t('loading')}</main>;
  const { household, people, visits, skills, consent, consentPending, notice } = data;
  if (!household) {
    return (
      <main class="page">
        <p class="notice">{t('household_not_found')}</p>
        <a href="#/">{t('back')}</a>
      </main>
    );
  }
  return (
    <main class="page household">
      <a href="#/" class="back">
        ← {t('nav_walk')}
      </a>
      <h1>{household.head_name || t('household')}</h1>
      <p class="muted">
        {household.address}
        {household.phone ? ` · ${household.phone}` : ''}
      </p>
      <a class="button primary big" href={href({ name: 'visit', id })} data-testid="log-visit">
        {t('log_visit')}
      </a>
      <a class="button" href={href({ name: 'edit', id })}>
        {t('edit_household')}
      </a>

      <ConsentCard household={household} consent={consent} pending={consentPending} notice={notice} />

      <h2>{t('members')}</h2>
      {people.length === 0 && <p class="muted">{t('no_members')}</p>}
      <ul class="people">
        {people.map((p) => (
          <li key={p.id}>
            {renaming === p.id ? (
              <AddPerson householdId={id} person={p} onDone={() => setRenaming(null)} />
            ) : (
              <div class="person-line">
                <strong>{personLabel(p)}</strong>
                <button type="button" class="link" onClick={() => setRenaming(p.id)} aria-label={`${t('rename')}: ${personLabel(p)}`}>
                  {t('rename')}
                </button>
              </div>
            )}
            <SkillBadges skills={skills} levels={p.skills ?? {}} />
          </li>
        ))}
      </ul>
      {adding ? <AddPerson householdId={id} onDone={() => setAdding(false)} /> : (
        <button type="button" class="big" onClick={() => setAdding(true)}>
          + {t('add_person')}
        </button>
      )}

      <h2>{t('history')}</h2>
      {visits.length === 0 && <p class="muted">{t('no_visits')}</p>}
      <ul class="visits" data-testid="visit-history">
        {visits.map((v) => (
          <li key={v.id}>
            <span>{formatTime(v.visited_at)}</span> <strong>{t(`outcome_${v.outcome}` as const)}</strong>
            {v.local && <span class="tag local">{t('unsynced_badge')}</span>}
            {v.notes && <p class="muted">{v.notes}</p>}
          </li>
        ))}
      </ul>
    </main>
  );
}

/** A new member, or (with `person`) one renamed: "Thành viên 2" becomes the person's name. */
function AddPerson({ householdId, person, onDone }: { householdId: string; person?: Person; onDone: () => void }) {
  const [name, setName] = useState(person?.full_name ?? '');
  const [year, setYear] = useState(person?.birth_year ? String(person.birth_year) : '');
  const [sex, setSex] = useState<'' | 'female' | 'male' | 'other'>((person?.sex as 'female' | null) ?? '');
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    const invalid = invalidMessage(e.currentTarget as HTMLFormElement, t);
    if (invalid) {
      setError(invalid);
      return;
    }
    try {
      await savePerson(db, {
        id: person?.id ?? newId(),
        household_id: householdId,
        full_name: name.trim() || null,
        birth_year: year ? Number(year) : null,
        sex: sex || null,
        deleted: false,
      });
      void engine.sync(false);
      onDone();
    } catch (err) {
      setError(isStorageFull(err) ? t('storage_full') : t('save_failed', { error: String(err) }));
      toast(t('storage_full'));
    }
  }
  return (
    <form class="card" onSubmit={submit} noValidate data-testid="person-form">
      <PersonFields name={name} setName={setName} year={year} setYear={setYear} sex={sex} setSex={setSex} namesAllowed />
      {error && <p class="notice bad" role="alert">{error}</p>}
      <div class="row">
        <button type="submit" class="primary">{t('save')}</button>
        <button type="button" onClick={onDone}>{t('cancel')}</button>
      </div>
    </form>
  );
}

function consentText(c: HouseholdConsent): string {
  if (c.state === 'withdrawn') return t('consent_state_withdrawn');
  if (c.state === 'given') {
    return c.notice_version ? t('consent_state_given', { version: c.notice_version, day: formatDate(c.on) }) : t('consent_state_given_day', { day: formatDate(c.on) });
  }
  return t('consent_state_unknown');
}

/**
 * The household's consent, and the two acts the volunteer records at the door, offline, each after a
 * confirmation: the household withdraws it (its names leave the phone at once), or gives it (again)
 * after hearing the notice this phone holds.
 */
function ConsentCard({ household, consent, pending, notice }: { household: Household; consent: HouseholdConsent; pending: boolean; notice?: Notice }) {
  const [asking, setAsking] = useState<null | 'withdrawn' | 'given'>(null);
  const [error, setError] = useState<string | null>(null);
  async function record(state: 'given' | 'withdrawn') {
    setError(null);
    try {
      await saveConsent(db, household.id, state);
      setAsking(null);
      toast(state === 'withdrawn' ? t('consent_saved_withdrawn') : t('consent_saved_given'));
      void engine.sync(false);
    } catch (err) {
      setError(err instanceof NoNotice ? t('consent_notice_missing') : isStorageFull(err) ? t('storage_full') : t('save_failed', { error: String(err) }));
    }
  }
  return (
    <section class="card consent-card" data-testid="consent-card" data-state={consent.state}>
      <h2>{t('household_consent')}</h2>
      <p data-testid="consent-state">
        <strong class={consent.state === 'withdrawn' ? 'consent-withdrawn' : undefined}>{consentText(consent)}</strong>
        {consent.state === 'withdrawn' && consent.on && <span class="muted small"> · {t('consent_withdrawn_on', { day: formatDate(consent.on) })}</span>}
        {pending && <span class="tag local">{t('unsynced_badge')}</span>}
      </p>
      {asking === 'withdrawn' ? (
        <ConfirmBox label={t('consent_withdraw')} go={t('consent_withdraw_go')} goClass="danger" testid="consent-withdraw-go" onGo={() => void record('withdrawn')} onCancel={() => setAsking(null)}>
          <p class="notice warn">{t('consent_withdraw_confirm')}</p>
        </ConfirmBox>
      ) : asking === 'given' ? (
        <ConfirmBox label={t('consent_give')} go={t('consent_give_go')} goClass="primary" testid="consent-give-go" disabled={!notice} onGo={() => void record('given')} onCancel={() => setAsking(null)}>
          {notice ? (
            <>
              <p class="small">{t('consent_give_read')}</p>
              <p class="small notice consent-notice">{locale() === 'vi' ? notice.text_vi : notice.text_en}</p>
            </>
          ) : (
            <p class="notice warn">{t('consent_notice_missing')}</p>
          )}
        </ConfirmBox>
      ) : (
        <div class="row">
          {consent.state !== 'withdrawn' && (
            <button type="button" class="danger" onClick={() => setAsking('withdrawn')} data-testid="consent-withdraw">
              {t('consent_withdraw')}
            </button>
          )}
          {consent.state !== 'given' && (
            <button type="button" onClick={() => setAsking('given')} data-testid="consent-give">
              {consent.state === 'withdrawn' ? t('consent_give_again') : t('consent_give')}
            </button>
          )}
        </div>
      )}
      {error && (
        <p class="notice bad" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** A question asked before a change the volunteer cannot take back alone: what it does, then go or cancel. */
function ConfirmBox(props: {
  label: string;
  go: string;
  goClass: string;
  testid: string;
  disabled?: boolean;
  onGo: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  return (
    <div class="confirm-box" role="alertdialog" aria-label={props.label}>
      {props.children}
      <div class="row">
        <button type="button" class={props.goClass} disabled={props.disabled} onClick={props.onGo} data-testid={props.testid}>
          {props.go}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('cancel')}
        </button>
      </div>
    </div>
  );
}
