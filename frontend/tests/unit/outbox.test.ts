import { describe, expect, it } from 'vitest';
import { getMeta, setMeta } from '../../src/db/schema';
import { FixGone, fixRejectedHousehold, resendRejectedVisit, saveHousehold, savePerson, saveVisit } from '../../src/db/writes';
import {
  applyResults,
  counts,
  discard,
  enqueue,
  exportOutbox,
  getClientId,
  newClientId,
  needsAttention,
  pendingBatch,
  requeue,
} from '../../src/sync/outbox';
import { freshDb, householdData } from './helpers';

describe('client id', () => {
  it('is random, URL-safe and 8–64 characters, and stable per installation', async () => {
    const id = newClientId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(newClientId()).not.toBe(id);
    const db = freshDb();
    const first = await getClientId(db);
    expect(await getClientId(db)).toBe(first);
  });
});

describe('outbox', () => {
  it('numbers mutations 1, 2, 3… and never reuses a number after the outbox empties', async () => {
    const db = freshDb();
    const h1 = await saveHousehold(db, householdData(crypto.randomUUID()));
    await saveHousehold(db, householdData(crypto.randomUUID()));
    let batch = await pendingBatch(db);
    expect(batch.map((e) => e.seq)).toEqual([1, 2]);
    expect(batch[0].id).toBe(h1.id);
    await applyResults(db, batch.map((e) => ({ seq: e.seq, id: e.id, status: 'applied' as const })));
    expect(await db.outbox.count()).toBe(0);
    await saveHousehold(db, householdData(crypto.randomUUID()));
    batch = await pendingBatch(db);
    expect(batch.map((e) => e.seq)).toEqual([3]);
  });

  it('deletes an entry only on its own acknowledgement', async () => {
    const db = freshDb();
    for (let i = 0; i < 4; i++) await saveHousehold(db, householdData(crypto.randomUUID()));
    const [a, b, c, d] = await pendingBatch(db);
    const summary = await applyResults(db, [
      { seq: a.seq, id: a.id, status: 'applied' },
      { seq: b.seq, id: b.id, status: 'duplicate' },
      { seq: c.seq, id: d.id, status: 'applied' }, // wrong id for that seq: ignored
      { seq: d.seq, id: d.id, status: 'retry' },
    ]);
    expect(summary).toEqual({ done: 2, rejected: 0, retry: 1 });
    expect((await db.outbox.toArray()).map((e) => e.seq)).toEqual([c.seq, d.seq]);
  });

  it('keeps a rejected entry under "Cần xử lý" with the server message, out of the push queue', async () => {
    const db = freshDb();
    await saveHousehold(db, householdData(crypto.randomUUID()));
    await saveHousehold(db, householdData(crypto.randomUUID()));
    const [a, b] = await pendingBatch(db);
    await applyResults(db, [
      { seq: a.seq, id: a.id, status: 'rejected', code: 'outside_your_area', message: 'Ngoài địa bàn', message_en: 'Outside' },
      { seq: b.seq, id: b.id, status: 'applied' },
    ]);
    expect(await counts(db)).toEqual({ pending: 0, rejected: 1, resending: 0 });
    expect(await pendingBatch(db)).toEqual([]);
    const kept = await db.outbox.get(a.seq);
    expect(kept?.error).toEqual({ code: 'outside_your_area', message: 'Ngoài địa bàn', message_en: 'Outside' });

    // "Gửi lại": the same record under a new seq; "Bỏ qua": only a rejected entry can be dropped.
    const again = await requeue(db, a.seq);
    expect(again).toBe(3);
    expect((await pendingBatch(db)).map((e) => [e.seq, e.id])).toEqual([[3, a.id]]);
    // Still listed under "Cần xử lý", as resent, until the server applies it.
    expect(await counts(db)).toEqual({ pending: 1, rejected: 0, resending: 1 });
    expect((await needsAttention(db)).map((e) => [e.seq, e.state, e.fixes?.error?.code])).toEqual([[3, 'pending', 'outside_your_area']]);
    await discard(db, 3);
    expect(await db.outbox.count()).toBe(1);
    await applyResults(db, [{ seq: 3, id: a.id, status: 'rejected', code: 'x' }]);
    await discard(db, 3);
    expect(await db.outbox.count()).toBe(0);
  });

  it('fixing a rejected household replaces it with a corrected mutation in one step', async () => {
    const db = freshDb();
    const h = await saveHousehold(db, householdData(crypto.randomUUID(), { hamlet_id: 99 }));
    await applyResults(db, [{ seq: 1, id: h.id, status: 'rejected', code: 'outside_your_area' }]);
    await fixRejectedHousehold(db, 1, householdData(h.id, { hamlet_id: 7, address: 'Số 3' }));
    const entries = await db.outbox.toArray();
    expect(entries.map((e) => [e.seq, e.state, (e.data as { hamlet_id: number }).hamlet_id])).toEqual([[2, 'pending', 7]]);
    expect((await db.households.get(h.id))?.search).toBe('nguyen van a so 3');
    expect((await needsAttention(db)).map((e) => e.seq)).toEqual([2]);
    await applyResults(db, [{ seq: 2, id: h.id, status: 'applied' }]);
    expect(await needsAttention(db)).toEqual([]);
  });

  it('resends a corrected visit as a new visit with a new seq, listed under "Cần xử lý" until applied', async () => {
    const db = freshDb();
    const h = await saveHousehold(db, householdData(crypto.randomUUID()));
    const [kept, gone] = [crypto.randomUUID(), crypto.randomUUID()];
    for (const id of [kept, gone]) await savePerson(db, { id, household_id: h.id, full_name: null, birth_year: null, sex: null, deleted: false });
    await applyResults(db, [1, 2, 3].map((seq) => ({ seq, id: seq === 1 ? h.id : seq === 2 ? kept : gone, status: 'applied' as const })));
    const visit = await saveVisit(
      db,
      {
        household_id: h.id,
        outcome: 'met',
        consent_given: true,
        notes: 'Hẹn chiều thứ Bảy',
        new_people: [],
        people: [
          { person_id: kept, skills: { online_payment: 'taught' }, milestones: [] },
          { person_id: gone, skills: { online_safety: 'taught' }, milestones: [] },
        ],
      },
      { campaign: null, now: new Date('2024-10-02T09:30:00+07:00') },
    );
    const rejected = { code: 'person_not_in_household', message: 'Người được ghi không thuộc hộ này.', message_en: 'Not a member' };
    await applyResults(db, [{ seq: 4, id: visit.id, status: 'rejected', ...rejected }]);
    const before = await db.statuses.get(`${h.id}:0`);

    const fixed = await resendRejectedVisit(db, 4, {
      household_id: h.id,
      outcome: 'met',
      consent_given: true,
      notes: 'Hẹn chiều thứ Bảy',
      new_people: [],
      people: [{ person_id: kept, skills: { online_payment: 'proficient' }, milestones: [] }],
    });
    // Never the rejected id or seq with new content: a new visit, keeping the original time.
    expect(fixed.id).not.toBe(visit.id);
    const entries = await db.outbox.toArray();
    expect(entries.map((e) => [e.seq, e.id, e.state])).toEqual([[5, fixed.id, 'pending']]);
    expect(entries[0].data).toMatchObject({ visited_at: visit.visited_at, notes: 'Hẹn chiều thứ Bảy', people: [{ person_id: kept }] });
    expect(entries[0].fixes).toEqual({ seq: 4, error: rejected });
    expect((await db.visits.toArray()).map((v) => v.id)).toEqual([fixed.id]);
    expect((await db.statuses.get(`${h.id}:0`))?.visits).toBe(before?.visits);
    expect(await counts(db)).toEqual({ pending: 1, rejected: 0, resending: 1 });
    // The rejected entry is spent: it cannot be fixed twice.
    await expect(resendRejectedVisit(db, 4, { household_id: h.id, outcome: 'not_home', consent_given: false, notes: '', new_people: [], people: [] })).rejects.toBeInstanceOf(FixGone);

    // Refused again: one item, with the new reason; applied: it leaves "Cần xử lý".
    await applyResults(db, [{ seq: 5, id: fixed.id, status: 'rejected', code: 'x', message: 'y', message_en: 'z' }]);
    expect(await counts(db)).toEqual({ pending: 0, rejected: 1, resending: 0 });
    const again = await resendRejectedVisit(db, 5, { household_id: h.id, outcome: 'not_home', consent_given: false, notes: 'Vắng', new_people: [], people: [] });
    await applyResults(db, [{ seq: 6, id: again.id, status: 'applied' }]);
    expect(await needsAttention(db)).toEqual([]);
    expect(await counts(db)).toEqual({ pending: 0, rejected: 0, resending: 0 });
    expect((await db.visits.get(again.id))?.local).toBe(false);
  });

  it('exports unsynced mutations in the push format', async () => {
    const db = freshDb();
    const h = await saveHousehold(db, householdData(crypto.randomUUID()));
    const file = await exportOutbox(db, '+84912345678', new Date('2024-10-02T03:00:00Z'));
    expect(file.schema_version).toBe(1);
    expect(file.user_phone).toBe('+84912345678');
    expect(file.client_id).toBe(await getClientId(db));
    expect(file.exported_at).toBe('2024-10-02T03:00:00.000Z');
    expect(file.mutations).toEqual([{ seq: 1, id: h.id, kind: 'household.upsert', data: expect.objectContaining({ id: h.id }) }]);
  });
});

describe('saving a visit', () => {
  it('writes the visit, quick-added person and outbox entries together, numbered in order', async () => {
    const db = freshDb();
    const h = await saveHousehold(db, householdData(crypto.randomUUID()));
    // The notice the phone pulled: its version is what the consent names.
    await setMeta(db, 'notice', { version: '2026-01', text_vi: 'Thông báo', text_en: 'Notice' });
    const personId = crypto.randomUUID();
    const all5 = Object.fromEntries(
      ['public_services', 'online_shopping', 'online_payment', 'online_safety', 'digital_platforms'].map((s) => [s, 'proficient' as const]),
    );
    const visit = await saveVisit(
      db,
      {
        household_id: h.id,
        outcome: 'met',
        consent_given: true,
        notes: '',
        new_people: [{ id: personId, full_name: 'Trần Thị B', birth_year: 1970, sex: 'female' }],
        people: [{ person_id: personId, skills: all5, milestones: ['vneid_level2'] }],
      },
      { campaign: null },
    );
    const entries = await db.outbox.orderBy('seq').toArray();
    expect(entries.map((e) => e.kind)).toEqual(['household.upsert', 'person.upsert', 'visit.create']);
    expect(entries[2].data).toMatchObject({ id: visit.id, outcome: 'met', consent_given: true, consent_notice_version: '2026-01' });
    expect((entries[2].data as { visited_at: string }).visited_at).toMatch(/[+-]\d\d:\d\d$/);
    expect((await db.people.get(personId))?.full_name).toBe('Trần Thị B');
    const status = await db.statuses.get(`${h.id}:0`);
    expect(status).toMatchObject({ visited: true, proficient_people: 1, covered_1: true, covered_2: false });
    expect(await getMeta(db, 'visits_saved')).toBe(1);
  });

  it("counts only the running campaign's visits for the campaign's status", async () => {
    const db = freshDb();
    const h = await saveHousehold(db, householdData(crypto.randomUUID()));
    const all5 = Object.fromEntries(
      ['public_services', 'online_shopping', 'online_payment', 'online_safety', 'digital_platforms'].map((s) => [s, 'proficient' as const]),
    );
    // Proficient in everything from an earlier campaign (the all-time skills on the person)…
    await db.people.put({ id: 'p1', household_id: h.id, full_name: null, birth_year: null, sex: null, skills: all5, milestones: [] });
    const campaign = { id: 9, name: 'C', unit_id: 1, starts_on: '2024-10-01', ends_on: '2024-10-10', covered_threshold: 1 };
    const visit = (skills: Record<string, 'taught' | 'proficient'>) =>
      saveVisit(db, { household_id: h.id, outcome: 'met', consent_given: false, notes: '', new_people: [], people: [{ person_id: 'p1', skills, milestones: [] }] }, { campaign });
    // …but this campaign has only taught one skill: not "Đạt" in this campaign, still "Đạt" all time.
    await visit({ online_payment: 'taught' });
    expect(await db.statuses.get(`${h.id}:9`)).toMatchObject({ proficient_people: 0, covered_1: false });
    expect(await db.statuses.get(`${h.id}:0`)).toMatchObject({ proficient_people: 1, covered_1: true });
    // Two visits of the campaign together reach all five.
    await visit({ public_services: 'proficient', online_shopping: 'proficient', online_payment: 'proficient' });
    expect(await db.statuses.get(`${h.id}:9`)).toMatchObject({ covered_1: false });
    await visit({ online_safety: 'proficient', digital_platforms: 'proficient' });
    expect(await db.statuses.get(`${h.id}:9`)).toMatchObject({ proficient_people: 1, covered_1: true, visits: 3 });
  });

  it('stores no names without consent', async () => {
    const db = freshDb();
    const h = await saveHousehold(db, householdData(crypto.randomUUID()));
    const personId = crypto.randomUUID();
    await saveVisit(
      db,
      {
        household_id: h.id,
        outcome: 'met',
        consent_given: false,
        notes: '',
        new_people: [{ id: personId, full_name: 'Trần Thị B', birth_year: null, sex: null }],
        people: [{ person_id: personId, skills: { online_payment: 'taught' }, milestones: [] }],
      },
      { campaign: null },
    );
    expect((await db.people.get(personId))?.full_name).toBeNull();
    const person = (await db.outbox.orderBy('seq').toArray()).find((e) => e.kind === 'person.upsert');
    expect((person?.data as { full_name: string | null }).full_name).toBeNull();
  });

  it('saves nothing at all when the transaction aborts (e.g. the disk is full)', async () => {
    const db = freshDb();
    const h = await saveHousehold(db, householdData(crypto.randomUUID()));
    // Simulate the storage failing half-way: the outbox write throws after the visit was added.
    const original = db.outbox.add.bind(db.outbox);
    let calls = 0;
    db.outbox.add = ((...args: Parameters<typeof original>) => {
      calls += 1;
      if (calls === 1) return Promise.reject(Object.assign(new Error('full'), { name: 'QuotaExceededError' }));
      return original(...args);
    }) as typeof db.outbox.add;
    await expect(
      saveVisit(db, { household_id: h.id, outcome: 'not_home', consent_given: false, notes: '', new_people: [], people: [] }, { campaign: null }),
    ).rejects.toThrow();
    expect(await db.visits.count()).toBe(0);
    expect(await db.outbox.count()).toBe(1); // only the household saved earlier
    expect(await db.statuses.count()).toBe(0);
  });
});

describe('enqueue', () => {
  it('continues after the highest seq even if the counter was lost', async () => {
    const db = freshDb();
    await db.outbox.add({ seq: 41, id: 'x', kind: 'visit.create', data: { id: 'x' } as never, state: 'pending', created_at: '' });
    const seq = await db.transaction('rw', db.outbox, db.meta, () => enqueue(db, 'visit.create', { id: 'y' } as never));
    expect(seq).toBe(42);
  });
});
