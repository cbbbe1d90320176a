import { applyConsentLocally } from '../db/consent';
import { householdSearchKey, setMeta, type TungNhaDB } from '../db/schema';
import type { Household, HouseholdConsentIn, HouseholdIn, HouseholdStatus, Person, PersonIn, Visit, VisitIn, SkillLevel } from '../db/types';
import type { Change, PullOut } from '../api/client';

export type PullPage = PullOut;

const AREA_TABLES = ['households', 'people', 'visits', 'statuses', 'units', 'skills', 'milestones', 'campaigns'] as const;

function areaTables(db: TungNhaDB) {
  return AREA_TABLES.map((name) => db.table(name));
}

export function maxLevel(a: SkillLevel | undefined, b: SkillLevel | undefined): SkillLevel | undefined {
  if (a === 'proficient' || b === 'proficient') return 'proficient';
  return a ?? b;
}

async function applyChange(db: TungNhaDB, c: Change): Promise<void> {
  const data = (c.data ?? {}) as Record<string, unknown>;
  const del = c.op === 'delete';
  switch (c.type) {
    case 'unit':
      return del ? db.units.delete(Number(c.id)) : void (await db.units.put(data as never));
    case 'skill':
      return del ? db.skills.delete(c.id) : void (await db.skills.put(data as never));
    case 'milestone':
      return del ? db.milestones.delete(c.id) : void (await db.milestones.put(data as never));
    case 'campaign':
      return del ? db.campaigns.delete(Number(c.id)) : void (await db.campaigns.put(data as never));
    case 'household': {
      if (del) return db.households.delete(c.id);
      const h = data as unknown as Household;
      await db.households.put({ ...h, search: householdSearchKey(h) });
      return;
    }
    case 'person':
      return del ? db.people.delete(c.id) : void (await db.people.put(data as unknown as Person));
    case 'household_status':
      return del ? db.statuses.delete(c.id) : void (await db.statuses.put({ ...(data as unknown as HouseholdStatus), id: c.id }));
    case 'visit':
      return del ? db.visits.delete(c.id) : void (await db.visits.put({ ...(data as unknown as Visit), local: false }));
    case 'notice':
      // The privacy notice read out at the door (one text per version, kept on the server).
      return del ? db.meta.delete('notice') : setMeta(db, 'notice', data);
    default:
      // A newer server may send types this build does not know: ignore them, the cursor still moves.
      return;
  }
}

/**
 * Lay the records of unacknowledged mutations back over what the server sent, so that a pull (or a
 * reset) never hides what the volunteer saved and has not synced yet.
 */
export async function overlayPending(db: TungNhaDB): Promise<void> {
  const entries = await db.outbox.orderBy('seq').toArray();
  for (const e of entries) {
    if (e.kind === 'household.upsert') {
      const d = e.data as HouseholdIn;
      const prev = await db.households.get(d.id);
      const h: Household = {
        ...(prev ?? {}),
        id: d.id,
        hamlet_id: d.hamlet_id,
        address: d.address ?? '',
        head_name: d.head_name ?? '',
        phone: d.phone ?? null,
        member_count: d.member_count ?? 0,
        latitude: d.latitude ?? null,
        longitude: d.longitude ?? null,
        deleted: d.deleted ?? false,
        search: '',
      };
      h.search = householdSearchKey(h);
      await db.households.put(h);
    } else if (e.kind === 'household.consent') {
      // Not on the server yet: a withdrawal keeps the names off the phone whatever the pull brought.
      await applyConsentLocally(db, e.data as HouseholdConsentIn);
    } else if (e.kind === 'person.upsert') {
      const d = e.data as PersonIn;
      const prev = await db.people.get(d.id);
      await db.people.put({
        skills: {},
        milestones: [],
        ...(prev ?? {}),
        id: d.id,
        household_id: d.household_id,
        full_name: d.full_name ?? null,
        birth_year: d.birth_year ?? null,
        sex: d.sex ?? null,
        deleted: d.deleted ?? false,
      });
    } else if (e.kind === 'visit.create') {
      const d = e.data as VisitIn;
      if (!(await db.visits.get(d.id))) {
        await db.visits.put({
          id: d.id,
          household_id: d.household_id,
          campaign_id: d.campaign_id ?? null,
          volunteer_id: null,
          visited_at: d.visited_at,
          received_at: null,
          outcome: d.outcome as Visit['outcome'],
          consent_given: d.consent_given ?? false,
          notes: d.notes ?? '',
          local: true,
        });
      }
      for (const p of d.people ?? []) {
        const person = await db.people.get(p.person_id);
        if (!person) continue;
        const skills = { ...person.skills };
        for (const [skill, level] of Object.entries(p.skills ?? {})) {
          skills[skill] = maxLevel(skills[skill], level as SkillLevel)!;
        }
        const milestones = Array.from(new Set([...(person.milestones ?? []), ...(p.milestones ?? [])]));
        await db.people.put({ ...person, skills, milestones });
      }
    }
  }
}

/**
 * Save one pulled page and its cursor in ONE transaction: a crash between the two would either skip
 * rows (cursor without data) or be harmless (data without cursor is re-pulled idempotently) — we
 * allow neither half alone.
 */
export async function applyPage(db: TungNhaDB, page: PullPage, progress?: { pages: number; changes: number }): Promise<void> {
  await db.transaction('rw', [...areaTables(db), db.meta, db.outbox], async () => {
    if (page.reset) {
      // The server says our copy is stale (old cursor, area changed): drop it, never the outbox.
      await Promise.all(areaTables(db).map((t) => t.clear()));
    }
    for (const change of page.changes) await applyChange(db, change);
    await overlayPending(db);
    await setMeta(db, 'cursor', page.cursor);
    if (progress) await setMeta(db, 'pull_progress', { ...progress, has_more: page.has_more });
    if (!page.has_more) await setMeta(db, 'initial_sync_done', true);
  });
}
