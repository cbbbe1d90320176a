import { describe, expect, it } from 'vitest';
import { shownConsent, WITHDRAWN_LABEL } from '../../src/db/consent';
import { setMeta } from '../../src/db/schema';
import { NoNotice, saveConsent, saveNewHousehold } from '../../src/db/writes';
import { pendingBatch } from '../../src/sync/outbox';
import { applyPage } from '../../src/sync/pull';
import { freshDb, householdData } from './helpers';

const NOTICE = { version: '2026-01', text_vi: 'Thông báo', text_en: 'Notice' };

describe("a household's consent recorded on the phone", () => {
  it('blanks the names at once and queues one household.consent mutation with the household id', async () => {
    const db = freshDb();
    const id = crypto.randomUUID();
    await saveNewHousehold(db, householdData(id, { phone: '+84912345678', head_name: 'Quách Thị Nga' }), ['Quách Thị Nga', 'Quách Văn Khôi']);
    const data = await saveConsent(db, id, 'withdrawn', new Date(2026, 0, 5, 9, 30));
    expect(data).toMatchObject({ id, state: 'withdrawn', notice_version: null });
    expect(data.at.startsWith('2026-01-05T09:30:00')).toBe(true);
    const h = (await db.households.get(id))!;
    expect([h.head_name, h.address, h.phone, h.consent]).toEqual([WITHDRAWN_LABEL, '', null, { state: 'withdrawn', notice_version: null, on: '2026-01-05' }]);
    expect(h.search).not.toContain('quach');
    expect((await db.people.where('household_id').equals(id).toArray()).map((p) => p.full_name)).toEqual([null, null]);
    const batch = await pendingBatch(db);
    expect(batch.map((e) => e.kind)).toEqual(['household.upsert', 'person.upsert', 'person.upsert', 'household.consent']);
    const last = batch[batch.length - 1];
    expect([last.id, last.data]).toEqual([id, data]);
    // What "Cần xử lý" would show for any of them no longer names the household.
    expect(batch.filter((e) => e.label).every((e) => e.label === WITHDRAWN_LABEL)).toBe(true);
  });

  it('keeps the names off the phone when a pull brings them back before the server has the withdrawal', async () => {
    const db = freshDb();
    const id = crypto.randomUUID();
    await saveNewHousehold(db, householdData(id, { head_name: 'Quách Thị Nga' }), []);
    await saveConsent(db, id, 'withdrawn');
    const named = { ...householdData(id, { head_name: 'Quách Thị Nga' }), consent: { state: 'given', notice_version: '2026-01', on: '2026-01-02' } };
    await applyPage(db, { changes: [{ type: 'household', op: 'put', id, data: named }], cursor: 'c1', has_more: false, reset: false });
    const h = (await db.households.get(id))!;
    expect([h.head_name, h.consent?.state]).toEqual([WITHDRAWN_LABEL, 'withdrawn']);
  });

  it('records consent given with the notice the phone holds, and refuses without one', async () => {
    const db = freshDb();
    const id = crypto.randomUUID();
    await saveNewHousehold(db, householdData(id), []);
    await expect(saveConsent(db, id, 'given')).rejects.toBeInstanceOf(NoNotice);
    expect((await pendingBatch(db)).map((e) => e.kind)).toEqual(['household.upsert']);
    await setMeta(db, 'notice', NOTICE);
    const data = await saveConsent(db, id, 'given', new Date(2026, 0, 9, 8, 0));
    expect([data.state, data.notice_version]).toEqual(['given', '2026-01']);
    expect((await db.households.get(id))!.consent).toEqual({ state: 'given', notice_version: '2026-01', on: '2026-01-09' });
  });

  it('shows the household’s own state, else the latest visit that recorded consent, else unknown', () => {
    const visit = (day: string, consent: boolean) =>
      ({ id: day, household_id: 'h', campaign_id: null, volunteer_id: null, visited_at: `${day}T09:00:00+07:00`, received_at: null, outcome: 'met', consent_given: consent, notes: '' }) as const;
    expect(shownConsent(undefined, [])).toEqual({ state: 'unknown', notice_version: null, on: null });
    expect(shownConsent({ state: 'unknown', notice_version: null, on: null }, [visit('2026-01-02', true), visit('2026-01-04', true), visit('2026-01-06', false)])).toEqual({
      state: 'given',
      notice_version: null,
      on: '2026-01-04',
    });
    const withdrawn = { state: 'withdrawn', notice_version: '2026-01', on: '2026-01-07' } as const;
    expect(shownConsent(withdrawn, [visit('2026-01-08', true)])).toEqual(withdrawn);
  });
});
