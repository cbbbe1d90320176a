import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { SCHEMA_V1, TungNhaDB } from '../../src/db/schema';
import { enqueue } from '../../src/sync/outbox';

describe('IndexedDB schema upgrade', () => {
  it('keeps pending outbox entries when a v1 database is opened by the current app', async () => {
    const name = `upgrade-${Date.now()}`;
    // An installation still on the previous release: schema v1, entries without a state.
    const old = new Dexie(name);
    old.version(1).stores(SCHEMA_V1);
    await old.open();
    await old.table('outbox').bulkAdd([
      { seq: 1, id: 'a', kind: 'household.upsert', data: { id: 'a' }, created_at: '2024-10-01T08:00:00Z' },
      { seq: 2, id: 'b', kind: 'visit.create', data: { id: 'b' }, created_at: '2024-10-01T08:01:00Z' },
    ]);
    await old.table('meta').put({ key: 'next_seq', value: 3 });
    await old.table('households').put({ id: 'a', hamlet_id: 7, address: 'Ấp Vị Hoà', head_name: 'Đặng Thị Bé' });
    old.close();

    const db = new TungNhaDB(name);
    await db.open();
    expect(db.verno).toBe(2);
    const entries = await db.outbox.orderBy('seq').toArray();
    expect(entries.map((e) => [e.seq, e.id, e.state])).toEqual([
      [1, 'a', 'pending'],
      [2, 'b', 'pending'],
    ]);
    expect((await db.households.get('a'))?.search).toBe('dang thi be ap vi hoa');
    // Numbering continues after the old entries.
    const seq = await db.transaction('rw', db.outbox, db.meta, () => enqueue(db, 'visit.create', { id: 'c' } as never));
    expect(seq).toBe(3);
    db.close();
  });
});
