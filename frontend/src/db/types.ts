import type { HouseholdIn as HouseholdInT, PersonIn as PersonInT, VisitIn as VisitInT } from '../api/types';

export type MutationKind = 'household.upsert' | 'person.upsert' | 'visit.create' | 'household.consent';
export type HouseholdIn = HouseholdInT;
export type PersonIn = PersonInT;
export type VisitIn = VisitInT;
/** The sync `household.consent` mutation (app/privacy/schemas.py HouseholdConsentIn): `id` is the household's. */
export interface HouseholdConsentIn {
  id: string;
  state: 'given' | 'withdrawn';
  notice_version: string | null;
  /** Device time with its offset: its day is the consent's day. */
  at: string;
}
export type ConsentState = 'unknown' | 'given' | 'withdrawn';
/** The household's consent as the server pulls it (`on`: YYYY-MM-DD). */
export interface HouseholdConsent {
  state: ConsentState;
  notice_version: string | null;
  on: string | null;
}
export type SkillLevel = 'taught' | 'proficient';
export type Outcome = 'met' | 'not_home' | 'declined' | 'moved';

export interface OutboxEntry {
  seq: number;
  id: string;
  kind: MutationKind;
  data: HouseholdIn | PersonIn | VisitIn | HouseholdConsentIn;
  /** pending: not yet acknowledged; rejected: processed by the server, not applied ("Cần xử lý"). */
  state: 'pending' | 'rejected';
  created_at: string;
  error?: OutboxError;
  /** The household in words ("head, address"), kept for "Cần xử lý" even if the household leaves the phone. */
  label?: string;
  /**
   * Set on the corrected resend of a rejected entry (a new seq; for a visit, a new id too): what the
   * server refused. The entry stays under "Cần xử lý" until the server applies it.
   */
  fixes?: { seq: number; error?: OutboxError };
}

export interface OutboxError {
  code: string;
  message: string;
  message_en: string;
}

export interface Household {
  id: string;
  hamlet_id: number;
  address: string;
  head_name: string;
  phone: string | null;
  member_count: number;
  latitude: number | null;
  longitude: number | null;
  created_at?: string;
  updated_at?: string;
  deleted: boolean;
  /** Absent on a household this phone created and has not pulled back yet: unknown. */
  consent?: HouseholdConsent;
  /** fold(head_name + ' ' + address): the search key, kept so typing never re-folds 2,000 rows. */
  search: string;
}

export interface Person {
  id: string;
  household_id: string;
  full_name: string | null;
  birth_year: number | null;
  sex: string | null;
  skills: Record<string, SkillLevel>;
  milestones: string[];
  deleted?: boolean;
}

export interface Visit {
  id: string;
  household_id: string;
  campaign_id: number | null;
  volunteer_id: number | null;
  visited_at: string;
  received_at: string | null;
  outcome: Outcome;
  consent_given: boolean;
  notes: string;
  /** True while only this phone knows it (its outbox entry is not acknowledged yet). */
  local?: boolean;
  /** What this phone recorded per person (local visits only): the campaign's status is counted from it. */
  people?: { person_id: string; skills: Record<string, SkillLevel> }[];
}

export interface HouseholdStatus {
  id: string; // `${household_id}:${campaign_id}`
  household_id: string;
  campaign_id: number;
  visits: number;
  last_outcome: Outcome | null;
  last_visit_at: string | null;
  visited: boolean;
  proficient_people: number;
  covered_1: boolean;
  covered_2: boolean;
}

export interface Unit {
  id: number;
  name: string;
  level: string;
  code: string;
  parent_id: number | null;
}

export interface Lesson {
  title: string;
  steps: string[];
  note: string;
}

export interface CatalogItem {
  id: string;
  position: number;
  label_vi: string;
  label_en: string;
  /** Skills only: the cards the volunteer shows at the door (cached with the catalogue for offline use). */
  lessons?: Lesson[];
}

export interface Campaign {
  id: number;
  name: string;
  unit_id: number;
  starts_on: string;
  ends_on: string;
  covered_threshold: number;
}

export interface Draft {
  key: string;
  route: string;
  value: unknown;
  saved_at: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}
