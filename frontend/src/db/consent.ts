// A household's consent on the phone: what the volunteer records at the door, laid on the local copy at
// once (and again over every pull until the server has it: sync/pull.ts overlayPending).
import { localDay } from './day';
import { householdSearchKey, type TungNhaDB } from './schema';
import type { HouseholdConsent, HouseholdConsentIn, Visit } from './types';

/** The server's label for a household that withdrew consent (app/privacy/service.py WITHDRAWN_LABEL). */
export const WITHDRAWN_LABEL = 'Hộ đã rút đồng ý';

/** YYYY-MM-DD of a time with its offset, as written on the device. */
function dayOf(at: string): string {
  return at.slice(0, 10);
}

/** The device's day of a moment whatever offset it was written with. */
function deviceDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? dayOf(iso) : localDay(d);
}

/**
 * Lay a consent on the local copy. Withdrawn: the household's name, address, phone and position and its
 * people's names leave the phone now, and the outbox's labels stop naming it. Given: the state only —
 * the names come back from the server on the next pull. Runs inside the caller's transaction over
 * households, people and outbox.
 */
export async function applyConsentLocally(db: TungNhaDB, data: HouseholdConsentIn): Promise<void> {
  const household = await db.households.get(data.id);
  if (!household) return;
  const consent: HouseholdConsent = {
    state: data.state,
    notice_version: data.state === 'given' ? data.notice_version : (household.consent?.notice_version ?? null),
    on: dayOf(data.at),
  };
  if (data.state === 'given') {
    await db.households.put({ ...household, consent });
    return;
  }
  const hidden = { ...household, consent, head_name: WITHDRAWN_LABEL, address: '', phone: null, latitude: null, longitude: null };
  await db.households.put({ ...hidden, search: householdSearchKey(hidden) });
  await db.people.where('household_id').equals(data.id).modify({ full_name: null });
  await db.outbox
    .filter((e) => e.label !== undefined && (e.id === data.id || (e.data as { household_id?: string }).household_id === data.id))
    .modify({ label: WITHDRAWN_LABEL });
}

/**
 * What the household page shows: the household's own consent, or, while it is unknown, the latest visit
 * that recorded consent at the door (as the server counts it: app/privacy/service.py consent_state).
 */
export function shownConsent(consent: HouseholdConsent | undefined, visits: Visit[]): HouseholdConsent {
  if (consent && consent.state !== 'unknown') return consent;
  const agreed = visits.filter((v) => v.consent_given).sort((a, b) => (a.visited_at < b.visited_at ? 1 : -1))[0];
  if (agreed) return { state: 'given', notice_version: null, on: deviceDay(agreed.visited_at) };
  return { state: 'unknown', notice_version: null, on: null };
}
