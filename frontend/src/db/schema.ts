import Dexie, { type Table } from 'dexie';
import { fold } from './fold';
import type {
  Campaign,
  CatalogItem,
  Draft,
  Household,
  HouseholdStatus,
  MetaRow,
  OutboxEntry,
  Person,
  Unit,
  Visit,
} from './types';

export const DB_NAME = 'tungnha';

/**
 * Every schema the app has shipped, oldest first. A version is never edited once released: a change
 * is a new entry with an upgrade that keeps the outbox (losing unsynced visits on an app update is
 * the failure we must never repeat).
 */
export const SCHEMA_V1 = {
  meta: 'key',
  outbox: 'seq',
  households: 'id, hamlet_id',
  people: 'id, household_id',
  visits: 'id, household_id',
  statuses: 'id, household_id',
  units: 'id',
  skills: 'id',
  milestones: 'id',
  campaigns: 'id',
};

// v2: outbox entries carry a state ("Cần xử lý" = rejected), households a folded search key,
// form drafts survive a reload.
export const SCHEMA_V2 = {
  ...SCHEMA_V1,
  outbox: 'seq, state, id',
  households: 'id, hamlet_id, search',
  visits: 'id, household_id, visited_at',
  drafts: 'key',
};

export const CURRENT_VERSION = 2;

export function householdSearchKey(h: Pick<Household, 'head_name' | 'address'>): string {
  return fold(`${h.head_name} ${h.address}`);
}

export class TungNhaDB extends Dexie {
  meta!: Table<MetaRow, string>;
  outbox!: Table<OutboxEntry, number>;
  households!: Table<Household, string>;
  people!: Table<Person, string>;
  visits!: Table<Visit, string>;
  statuses!: Table<HouseholdStatus, string>;
  units!: Table<Unit, number>;
  skills!: Table<CatalogItem, string>;
  milestones!: Table<CatalogItem, string>;
  campaigns!: Table<Campaign, number>;
  drafts!: Table<Draft, string>;

  constructor(name: string = DB_NAME) {
    super(name);
    this.version(1).stores(SCHEMA_V1);
    this.version(2)
      .stores(SCHEMA_V2)
      .upgrade(async (tx) => {
        await tx
          .table('outbox')
          .toCollection()
          .modify((entry: Partial<OutboxEntry>) => {
            if (!entry.state) entry.state = 'pending';
          });
        await tx
          .table('households')
          .toCollection()
          .modify((h: Household) => {
            h.search = householdSearchKey(h);
          });
      });
  }
}

/** Reads and writes of small settings (client id, cursor, session…). */
export async function getMeta<T>(db: TungNhaDB, key: string): Promise<T | undefined> {
  const row = await db.meta.get(key);
  return row?.value as T | undefined;
}

export async function setMeta(db: TungNhaDB, key: string, value: unknown): Promise<void> {
  await db.meta.put({ key, value });
}

/** True when a Dexie/IndexedDB error means the device ran out of space. */
export function isStorageFull(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    const err = e as { name?: string; inner?: unknown; message?: string };
    if (err.name === 'QuotaExceededError') return true;
    if (typeof err.message === 'string' && /quota|disk|space/i.test(err.message)) return true;
    e = err.inner;
  }
  return false;
}
