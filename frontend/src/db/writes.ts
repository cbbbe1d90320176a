// Every local write of the volunteer: the record and its outbox entry in ONE transaction.
import { enqueue } from '../sync/outbox';
import { maxLevel } from '../sync/pull';
import { applyConsentLocally, WITHDRAWN_LABEL } from './consent';
import { localDay } from './day';
import { getMeta, householdSearchKey, setMeta, type TungNhaDB } from './schema';
import type { Campaign, Household, HouseholdConsentIn, HouseholdIn, HouseholdStatus, Outcome, OutboxEntry, Person, PersonIn, SkillLevel, Visit, VisitIn } from './types';

export const DEFAULT_SKILLS = ['public_services', 'online_shopping', 'online_payment', 'online_safety', 'digital_platforms'];
/** The privacy notice the phone pulled with its catalogue (app/privacy/notice.py is the one source). */
export type Notice = { version: string; text_vi: string; text_en: string };

export function newId(): string {
  return crypto.randomUUID();
}

export interface NewPerson {
  id: string;
  full_name: string | null;
  birth_year: number | null;
  sex: 'female' | 'male' | 'other' | null;
}

export interface VisitDraft {
  household_id: string;
  outcome: Outcome;
  consent_given: boolean;
  notes: string;
  new_people: NewPerson[];
  people: { person_id: string; skills: Record<string, SkillLevel>; milestones: string[] }[];
}

export async function skillIds(db: TungNhaDB): Promise<string[]> {
  const skills = await db.skills.toCollection().sortBy('position');
  return skills.length ? skills.map((s) => s.id) : DEFAULT_SKILLS;
}

/** The campaign a visit made today belongs to: the running one, else none. */
export async function activeCampaign(db: TungNhaDB, today = new Date()): Promise<Campaign | null> {
  const day = localDay(today);
  const all = await db.campaigns.toArray();
  const running = all.filter((c) => c.starts_on <= day && day <= c.ends_on);
  running.sort((a, b) => (a.starts_on < b.starts_on ? 1 : -1));
  return running[0] ?? null;
}

export { localDay };

/** Device time with its offset (e.g. 2024-10-01T09:30:00+07:00): shown only, the server orders by receipt. */
export function isoWithOffset(d: Date): string {
  const pad = (n: number) => String(Math.abs(Math.trunc(n))).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:` +
    `${pad(d.getSeconds())}${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

/**
 * The household's status for one campaign after a visit saved on this phone. Campaign 0 (all time)
 * counts everyone's skills; a real campaign counts only the levels recorded in that campaign's visits
 * (as the server does), taken from the visits this phone made, never below what the server said.
 */
async function refreshStatus(
  db: TungNhaDB,
  householdId: string,
  campaignId: number,
  visit: Visit,
  skills: string[],
  counted = true,
): Promise<void> {
  const id = `${householdId}:${campaignId}`;
  const prev = await db.statuses.get(id);
  const people = (await db.people.where('household_id').equals(householdId).toArray()).filter((p) => !p.deleted);
  let proficient: number;
  if (campaignId === 0) {
    proficient = people.filter((p) => skills.every((s) => p.skills?.[s] === 'proficient')).length;
  } else {
    const levels = new Map<string, Record<string, SkillLevel>>();
    const visits = await db.visits.where('household_id').equals(householdId).toArray();
    for (const v of visits) {
      if (v.campaign_id !== campaignId) continue;
      for (const p of v.people ?? []) {
        const mine = { ...(levels.get(p.person_id) ?? {}) };
        for (const [s, level] of Object.entries(p.skills)) mine[s] = maxLevel(mine[s], level)!;
        levels.set(p.person_id, mine);
      }
    }
    proficient = people.filter((p) => skills.every((s) => levels.get(p.id)?.[s] === 'proficient')).length;
  }
  const status: HouseholdStatus = {
    id,
    household_id: householdId,
    campaign_id: campaignId,
    visits: (prev?.visits ?? 0) + (counted ? 1 : 0),
    last_outcome: visit.outcome,
    last_visit_at: visit.visited_at,
    visited: (prev?.visited ?? false) || visit.outcome === 'met',
    proficient_people: Math.max(prev?.proficient_people ?? 0, proficient),
    covered_1: false,
    covered_2: false,
  };
  status.covered_1 = status.proficient_people >= 1;
  status.covered_2 = status.proficient_people >= 2;
  await db.statuses.put(status);
}

/**
 * Save a visit (and the people quick-added during it) with their outbox entries, atomically.
 * Without consent no name is stored. Not met: no people, no skills.
 */
export async function saveVisit(
  db: TungNhaDB,
  draft: VisitDraft,
  opts: { campaign: Campaign | null; now?: Date },
): Promise<Visit> {
  return writeVisit(db, draft, { campaignId: opts.campaign?.id ?? null, visitedAt: isoWithOffset(opts.now ?? new Date()) });
}

/** The rejected visit being corrected is gone (sent, discarded or corrected in another tab). */
export class FixGone extends Error {
  constructor() {
    super('the rejected visit is no longer waiting for a fix');
    this.name = 'FixGone';
  }
}

/** The rejected `visit.create` entry `seq`, if it still waits for the volunteer. */
export async function rejectedVisit(db: TungNhaDB, seq: number): Promise<OutboxEntry | undefined> {
  const entry = await db.outbox.get(seq);
  return entry?.state === 'rejected' && entry.kind === 'visit.create' ? entry : undefined;
}

/**
 * "Sửa lượt thăm rồi gửi lại": the corrected visit goes out as a NEW visit — new id, new seq — because
 * a visit is append-only and the server refuses an id reused with other content (DESIGN §5). It keeps
 * the time and campaign of the visit it corrects. In one transaction the rejected entry and its local
 * copy give way to the new ones; the new entry carries `fixes`, so it stays under "Cần xử lý" until the
 * server applies it (and shows there again, with the new reason, if it is refused again).
 */
export async function resendRejectedVisit(db: TungNhaDB, seq: number, draft: VisitDraft): Promise<Visit> {
  const entry = await rejectedVisit(db, seq);
  if (!entry) throw new FixGone();
  const old = entry.data as VisitIn;
  return writeVisit(
    db,
    { ...draft, household_id: old.household_id },
    { campaignId: old.campaign_id ?? null, visitedAt: old.visited_at, replaces: entry },
  );
}

async function writeVisit(
  db: TungNhaDB,
  draft: VisitDraft,
  opts: { campaignId: number | null; visitedAt: string; replaces?: OutboxEntry },
): Promise<Visit> {
  const met = draft.outcome === 'met';
  const newPeople = met ? draft.new_people : [];
  const people = met ? draft.people : [];
  const visit: Visit = {
    id: newId(),
    household_id: draft.household_id,
    campaign_id: opts.campaignId,
    volunteer_id: null,
    visited_at: opts.visitedAt,
    received_at: null,
    outcome: draft.outcome,
    consent_given: met && draft.consent_given,
    notes: draft.notes.trim(),
    local: true,
  };
  // Consent names the version of the notice that was read out: the one this phone holds.
  const notice = await getMeta<Notice>(db, 'notice');
  const wire: VisitIn = {
    id: visit.id,
    household_id: visit.household_id,
    campaign_id: visit.campaign_id,
    visited_at: visit.visited_at,
    outcome: visit.outcome,
    consent_given: visit.consent_given,
    consent_notice_version: visit.consent_given ? (notice?.version ?? null) : null,
    notes: visit.notes,
    people: people.map((p) => ({ person_id: p.person_id, skills: p.skills, milestones: p.milestones })),
  };
  const skills = await skillIds(db);
  const household = await db.households.get(draft.household_id);
  const label = household ? [household.head_name, household.address].filter(Boolean).join(', ') : opts.replaces?.label;
  const replaces = opts.replaces;
  await db.transaction('rw', [db.visits, db.people, db.statuses, db.outbox, db.meta], async () => {
    if (replaces) {
      const still = await db.outbox.get(replaces.seq);
      if (still?.state !== 'rejected' || still.id !== replaces.id) throw new FixGone();
      await db.outbox.delete(replaces.seq);
      await db.visits.delete(replaces.id);
    }
    for (const np of newPeople) {
      const person: PersonIn = {
        id: np.id,
        household_id: draft.household_id,
        full_name: visit.consent_given && np.full_name?.trim() ? np.full_name.trim() : null,
        birth_year: np.birth_year,
        sex: np.sex,
        deleted: false,
      };
      await db.people.put({ ...(person as Person), skills: {}, milestones: [] });
      await enqueue(db, 'person.upsert', person as PersonIn & { id: string }, label);
    }
    for (const p of people) {
      const person = await db.people.get(p.person_id);
      if (!person) continue;
      const merged = { ...person.skills };
      for (const [s, level] of Object.entries(p.skills)) merged[s] = maxLevel(merged[s], level)!;
      const milestones = Array.from(new Set([...(person.milestones ?? []), ...p.milestones]));
      await db.people.put({ ...person, skills: merged, milestones });
    }
    await db.visits.add({ ...visit, people: people.map((p) => ({ person_id: p.person_id, skills: p.skills })) });
    const fixes = replaces ? { seq: replaces.seq, error: replaces.error } : undefined;
    await enqueue(db, 'visit.create', wire as VisitIn & { id: string }, label, fixes);
    // A corrected visit replaces one already counted on this phone: it is not one more visit.
    const counted = !replaces;
    await refreshStatus(db, draft.household_id, 0, visit, skills, counted);
    if (visit.campaign_id) await refreshStatus(db, draft.household_id, visit.campaign_id, visit, skills, counted);
    if (counted) await setMeta(db, 'visits_saved', ((await getMeta<number>(db, 'visits_saved')) ?? 0) + 1);
  });
  return visit;
}

/** The local copy of a household as the volunteer wrote it, with its folded search key. */
function householdFrom(data: HouseholdIn): Household {
  const household: Household = {
    id: data.id,
    hamlet_id: data.hamlet_id,
    address: data.address ?? '',
    head_name: data.head_name ?? '',
    phone: data.phone ?? null,
    member_count: data.member_count ?? 0,
    latitude: data.latitude ?? null,
    longitude: data.longitude ?? null,
    deleted: data.deleted ?? false,
    search: '',
  };
  household.search = householdSearchKey(household);
  return household;
}

export async function saveHousehold(db: TungNhaDB, data: HouseholdIn): Promise<Household> {
  const household = householdFrom(data);
  await db.transaction('rw', [db.households, db.outbox, db.meta], async () => {
    const prev = await db.households.get(household.id);
    await db.households.put({ ...prev, ...household });
    await enqueue(db, 'household.upsert', { ...data, id: data.id });
  });
  return household;
}

/**
 * A new household with its members: the head first, then "Thành viên 2", "Thành viên 3"… (renamed later
 * on the household page), so that a visit has people to tick skills for. One transaction.
 */
export async function saveNewHousehold(db: TungNhaDB, data: HouseholdIn, memberNames: string[]): Promise<Household> {
  const household = householdFrom(data);
  await db.transaction('rw', [db.households, db.people, db.outbox, db.meta], async () => {
    await db.households.put(household);
    await enqueue(db, 'household.upsert', { ...data, id: data.id });
    for (const name of memberNames) {
      const person: PersonIn = { id: newId(), household_id: data.id, full_name: name || null, birth_year: null, sex: null, deleted: false };
      await db.people.put({ ...(person as Person), skills: {}, milestones: [] });
      await enqueue(db, 'person.upsert', person as PersonIn & { id: string });
    }
  });
  return household;
}

/** A household of the same hamlet with the same head and address (folded), other than `exceptId`. */
export async function lookalikeHousehold(db: TungNhaDB, hamletId: number, headName: string, address: string, exceptId?: string): Promise<Household | undefined> {
  const key = householdSearchKey({ head_name: headName, address });
  const same = await db.households.where('search').equals(key).toArray();
  return same.find((h) => h.hamlet_id === hamletId && !h.deleted && h.id !== exceptId);
}

/**
 * "Sửa" on a rejected household: the corrected record replaces the local copy and goes out under a
 * new seq, and the rejected entry it fixes leaves "Cần xử lý" — all in one transaction.
 */
export async function fixRejectedHousehold(db: TungNhaDB, seq: number, data: HouseholdIn): Promise<void> {
  await db.transaction('rw', [db.households, db.outbox, db.meta], async () => {
    const entry = await db.outbox.get(seq);
    const fixing = entry?.state === 'rejected' && entry.id === data.id;
    if (fixing) await db.outbox.delete(seq);
    const prev = await db.households.get(data.id);
    await db.households.put({ ...prev, ...householdFrom(data) });
    // Until the server applies the correction it stays under "Cần xử lý", marked as resent.
    await enqueue(db, 'household.upsert', { ...data, id: data.id }, undefined, fixing ? { seq, error: entry.error } : undefined);
  });
}

export async function savePerson(db: TungNhaDB, data: PersonIn): Promise<void> {
  await db.transaction('rw', [db.people, db.outbox, db.meta], async () => {
    const prev = await db.people.get(data.id);
    await db.people.put({
      skills: {},
      milestones: [],
      ...prev,
      id: data.id,
      household_id: data.household_id,
      full_name: data.full_name ?? null,
      birth_year: data.birth_year ?? null,
      sex: data.sex ?? null,
      deleted: data.deleted ?? false,
    });
    await enqueue(db, 'person.upsert', { ...data, id: data.id });
  });
}

/** The phone holds no privacy notice yet (never synced): consent cannot name what was read out. */
export class NoNotice extends Error {
  constructor() {
    super('no privacy notice on this phone yet');
    this.name = 'NoNotice';
  }
}

/**
 * At the door, offline: the household withdraws its consent, or gives it (again) after hearing the notice
 * this phone holds. The local copy changes at once (a withdrawal blanks the names) and the mutation joins
 * the outbox, in one transaction.
 */
export async function saveConsent(db: TungNhaDB, householdId: string, state: 'given' | 'withdrawn', now = new Date()): Promise<HouseholdConsentIn> {
  const notice = await getMeta<Notice>(db, 'notice');
  if (state === 'given' && !notice) throw new NoNotice();
  const data: HouseholdConsentIn = {
    id: householdId,
    state,
    notice_version: state === 'given' ? notice!.version : null,
    at: isoWithOffset(now),
  };
  await db.transaction('rw', [db.households, db.people, db.outbox, db.meta], async () => {
    const household = await db.households.get(householdId);
    const label = household && state === 'given' ? [household.head_name, household.address].filter(Boolean).join(', ') : undefined;
    await applyConsentLocally(db, data);
    await enqueue(db, 'household.consent', data, state === 'withdrawn' ? WITHDRAWN_LABEL : label);
  });
  return data;
}
