import { describe, expect, it } from 'vitest';
import { ApiError, AuthRequired, NetworkError, type PullOut, type PushIn, type PushOut } from '../../src/api/client';
import { getMeta } from '../../src/db/schema';
import { saveHousehold } from '../../src/db/writes';
import { backoffDelay, SyncEngine, type SyncApi } from '../../src/sync/engine';
import { counts } from '../../src/sync/outbox';
import { freshDb, householdData } from './helpers';

type Call = { op: 'push'; body: PushIn } | { op: 'pull'; cursor: string | null };

/** A scripted server: answers each push per mutation, pages through `pages` for pulls. */
class FakeServer implements SyncApi {
  calls: Call[] = [];
  applied = new Map<number, string>();
  lastSeq = 0;
  reject = new Set<string>();
  failNext: Error[] = [];
  pages: PullOut[] = [{ changes: [], cursor: 'c-end', has_more: false, reset: false }];

  async push(body: PushIn): Promise<PushOut> {
    this.calls.push({ op: 'push', body: structuredClone(body) });
    const err = this.failNext.shift();
    if (err) throw err;
    const results: PushOut['results'] = [];
    for (const m of body.mutations) {
      if (m.seq <= this.lastSeq) {
        results.push({ seq: m.seq, id: m.id, status: 'duplicate' });
      } else if (m.seq !== this.lastSeq + 1) {
        results.push({ seq: m.seq, id: m.id, status: 'retry' });
      } else if (this.reject.has(m.id)) {
        this.lastSeq = m.seq;
        results.push({ seq: m.seq, id: m.id, status: 'rejected', code: 'outside_your_area', message: 'Ngoài địa bàn', message_en: 'Outside your area' });
      } else {
        this.lastSeq = m.seq;
        this.applied.set(m.seq, m.id);
        results.push({ seq: m.seq, id: m.id, status: 'applied' });
      }
    }
    return { last_seq: this.lastSeq, results };
  }

  async pull(cursor: string | null): Promise<PullOut> {
    this.calls.push({ op: 'pull', cursor });
    const err = this.failNext.shift();
    if (err) throw err;
    const index = cursor === null ? 0 : this.pages.findIndex((p) => p.cursor === cursor) + 1;
    return this.pages[index] ?? { changes: [], cursor: cursor ?? 'c0', has_more: false, reset: false };
  }
}

function engine(db = freshDb(), server = new FakeServer()) {
  const timers: { fn: () => void; ms: number }[] = [];
  let now = 1_000_000;
  const e = new SyncEngine({
    db,
    api: server,
    now: () => now,
    random: () => 0.5,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
  });
  return { e, db, server, timers, advance: (ms: number) => (now += ms) };
}

async function addHouseholds(db: ReturnType<typeof freshDb>, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await saveHousehold(db, householdData(crypto.randomUUID(), { address: `Số ${i}` }))).id);
  return ids;
}

describe('sync loop', () => {
  it('pushes before it pulls, in seq order, at most 100 a request, and empties the outbox on acks', async () => {
    const { e, db, server } = engine();
    await addHouseholds(db, 150);
    await e.sync(true);
    expect(server.calls.map((c) => c.op)).toEqual(['push', 'push', 'pull']);
    const pushes = server.calls.filter((c): c is Extract<Call, { op: 'push' }> => c.op === 'push');
    expect(pushes[0].body.mutations.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(pushes[1].body.mutations.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 101));
    expect(pushes[0].body.schema_version).toBe(1);
    expect(pushes[0].body.client_id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(await db.outbox.count()).toBe(0);
    expect(e.state.problem).toBeNull();
    expect(await getMeta(db, 'last_synced_at')).toBeTruthy();
  });

  it('keeps one rejected mutation for the volunteer while the rest sync', async () => {
    const { e, db, server } = engine();
    const ids = await addHouseholds(db, 3);
    server.reject.add(ids[1]);
    await e.sync(true);
    expect([...server.applied.values()]).toEqual([ids[0], ids[2]]);
    expect(await counts(db)).toEqual({ pending: 0, rejected: 1, resending: 0 });
    const kept = await db.outbox.toArray();
    expect(kept[0]).toMatchObject({ id: ids[1], state: 'rejected', error: { code: 'outside_your_area' } });
    // The next run does not resend it.
    server.calls = [];
    await e.sync(true);
    expect(server.calls.map((c) => c.op)).toEqual(['pull']);
  });

  it('treats duplicate as success when the answer to an earlier push was lost', async () => {
    const { e, db, server } = engine();
    const ids = await addHouseholds(db, 2);
    // The server applied both, but the response never reached the phone.
    await server.push({ client_id: 'x'.repeat(10), schema_version: 1, mutations: (await db.outbox.toArray()).map((o) => ({ seq: o.seq, id: o.id, kind: o.kind, data: o.data as never })) });
    expect(await db.outbox.count()).toBe(2);
    await e.sync(true);
    expect(await db.outbox.count()).toBe(0);
    expect([...server.applied.values()]).toEqual(ids);
  });

  it('keeps the outbox and backs off 5 s doubling to 60 s on server and network errors while online', async () => {
    const { e, db, server, timers, advance } = engine();
    await addHouseholds(db, 1);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      server.failNext.push(i % 2 ? new NetworkError() : new ApiError(503, 'http_503', 'down'));
      await e.sync(true);
      delays.push(timers[timers.length - 1].ms);
      expect(await db.outbox.count()).toBe(1);
    }
    expect(delays).toEqual([5000, 10000, 20000, 40000, 60000, 60000, 60000, 60000, 60000]);
    expect(e.state.problem).toBe('server');
    // Within the window, a timer/visibility trigger waits; after it, the run happens and succeeds.
    server.calls = [];
    await e.sync();
    expect(server.calls).toEqual([]);
    advance(60_001);
    await e.sync();
    expect(await db.outbox.count()).toBe(0);
    expect(e.state).toMatchObject({ problem: null, failures: 0, nextAttemptAt: null });
  });

  it('jitters the backoff', () => {
    expect(backoffDelay(1, () => 0)).toBe(4000);
    expect(backoffDelay(1, () => 1)).toBe(6000);
    expect(backoffDelay(20, () => 1)).toBe(60000);
    expect(backoffDelay(20, () => 1, 300_000)).toBe(300000);
  });

  it('waits up to 5 min when the device is offline, and starts again at 5 s when the signal returns', async () => {
    let online = false;
    const timers: number[] = [];
    const server = new FakeServer();
    const db = freshDb();
    const e = new SyncEngine({ db, api: server, random: () => 0.5, setTimer: (_fn, ms) => timers.push(ms), clearTimer: () => undefined, online: () => online });
    await addHouseholds(db, 1);
    for (let i = 0; i < 8; i++) {
      server.failNext.push(new NetworkError());
      await e.sync(true);
    }
    expect(timers.at(-1)).toBe(300000);
    online = true;
    e.resetBackoff();
    expect(e.state).toMatchObject({ failures: 0, nextAttemptAt: null });
    server.failNext.push(new ApiError(502, 'http_502', 'Bad Gateway'));
    await e.sync(true);
    expect(timers.at(-1)).toBe(5000);
    expect(e.state.runs).toBe(9);
  });

  it('keeps the outbox when the login expired, and asks to reload on 426', async () => {
    const { e, db, server } = engine();
    await addHouseholds(db, 2);
    server.failNext.push(new AuthRequired());
    await e.sync(true);
    expect(e.state.problem).toBe('auth');
    expect(await db.outbox.count()).toBe(2);
    server.failNext.push(new ApiError(426, 'client_too_old', 'Cập nhật ứng dụng'));
    await e.sync(true);
    expect(e.state.problem).toBe('update_required');
    expect(await db.outbox.count()).toBe(2);
  });

  it('stops, keeping the outbox, when the account was deactivated, and does not retry by itself', async () => {
    const { e, db, server, timers } = engine();
    await addHouseholds(db, 1);
    server.failNext.push(new ApiError(403, 'account_deactivated', 'Tài khoản đã bị vô hiệu hóa.'));
    await e.sync(true);
    expect(e.state.problem).toBe('deactivated');
    expect(e.state.nextAttemptAt).toBeNull();
    expect(timers).toHaveLength(0);
    expect(await db.outbox.count()).toBe(1);
  });

  it('waits instead of spinning when the server answers retry for everything', async () => {
    const { e, db, server } = engine();
    await addHouseholds(db, 2);
    server.lastSeq = -5; // the server lost track: every seq looks like it has a gap before it
    await e.sync(true);
    expect(e.state.problem).toBe('stalled');
    expect(await db.outbox.count()).toBe(2);
    expect(server.calls.filter((c) => c.op === 'push')).toHaveLength(1);
  });
});

describe('pull', () => {
  const hh = (id: string, address: string) => ({
    type: 'household',
    op: 'put' as const,
    id,
    data: { ...householdData(id, { address, head_name: 'Lê Văn Đức' }), created_at: '', updated_at: '' },
  });

  it('pages with the cursor, saving each page with its cursor, and resumes after an interruption', async () => {
    const { e, db, server } = engine();
    server.pages = [
      { changes: [hh('h1', 'Số 1')], cursor: 'p1', has_more: true, reset: false },
      { changes: [hh('h2', 'Số 2')], cursor: 'p2', has_more: true, reset: false },
      { changes: [hh('h3', 'Số 3')], cursor: 'p3', has_more: false, reset: false },
    ];
    server.failNext = [];
    // Page 2 fails: page 1 and its cursor are kept.
    const pull = server.pull.bind(server);
    let n = 0;
    server.pull = async (cursor) => {
      n += 1;
      if (n === 2) throw new NetworkError();
      return pull(cursor);
    };
    await e.sync(true);
    expect(await getMeta(db, 'cursor')).toBe('p1');
    expect(await db.households.count()).toBe(1);
    expect(await getMeta(db, 'initial_sync_done')).toBeUndefined();
    await e.sync(true);
    const cursors = server.calls.filter((c) => c.op === 'pull').map((c) => (c as { cursor: string | null }).cursor);
    expect(cursors).toEqual([null, 'p1', 'p2']);
    expect((await db.households.toArray()).map((h) => h.id).sort()).toEqual(['h1', 'h2', 'h3']);
    expect((await db.households.get('h2'))?.search).toBe('le van duc so 2');
    expect(await getMeta(db, 'initial_sync_done')).toBe(true);
    expect(e.state.pulledPages).toBe(3);
  });

  it('on reset drops the local copy of the area but never the outbox or what it holds', async () => {
    const { e, db, server } = engine();
    server.pages = [{ changes: [hh('old', 'Số 9')], cursor: 'p1', has_more: false, reset: false }];
    await e.sync(true);
    expect(await db.households.count()).toBe(1);
    // Saved offline, then the push fails with a 503: the household stays pending.
    const [mine] = await addHouseholds(db, 1);
    server.failNext.push(new ApiError(503, 'x', 'x'));
    await e.sync(true);
    // Now the server answers the pull with a reset.
    const push = server.push.bind(server);
    server.push = async (body) => ({ last_seq: 0, results: body.mutations.map((m) => ({ seq: m.seq, id: m.id, status: 'retry' as const })) });
    server.pages = [{ changes: [hh('new', 'Số 5')], cursor: 'r1', has_more: false, reset: true }];
    const { applyPage } = await import('../../src/sync/pull');
    await applyPage(db, server.pages[0]);
    server.push = push;
    expect((await db.households.toArray()).map((h) => h.id).sort()).toEqual([mine, 'new'].sort());
    expect(await counts(db)).toEqual({ pending: 1, rejected: 0, resending: 0 });
  });

  it('starts over with a reset when the server refuses the cursor (invalid_cursor)', async () => {
    const { e, db, server } = engine();
    server.pages = [{ changes: [hh('stale', 'Số 1')], cursor: 'p1', has_more: false, reset: false }];
    await e.sync(true);
    const pull = server.pull.bind(server);
    server.pull = async (cursor) => {
      if (cursor === 'p1') throw new ApiError(400, 'invalid_cursor', 'Con trỏ không hợp lệ');
      return pull(cursor);
    };
    server.pages = [{ changes: [hh('fresh', 'Số 2')], cursor: 'q1', has_more: false, reset: false }];
    await e.sync(true);
    expect(e.state.problem).toBeNull();
    expect((await db.households.toArray()).map((h) => h.id)).toEqual(['fresh']);
    expect(await getMeta(db, 'cursor')).toBe('q1');
  });

  it('applies tombstones and household statuses', async () => {
    const { e, db, server } = engine();
    server.pages = [
      {
        changes: [
          hh('h1', 'Số 1'),
          hh('h2', 'Số 2'),
          { type: 'household', op: 'delete', id: 'h1' },
          {
            type: 'household_status',
            op: 'put',
            id: 'h2:0',
            data: { household_id: 'h2', campaign_id: 0, visits: 1, last_outcome: 'met', last_visit_at: null, visited: true, proficient_people: 1, covered_1: true, covered_2: false },
          },
          { type: 'skill', op: 'put', id: 'online_payment', data: { id: 'online_payment', position: 3, label_vi: 'Thanh toán trực tuyến', label_en: 'Online payment' } },
          { type: 'something_new', op: 'put', id: '1', data: {} },
        ],
        cursor: 'p1',
        has_more: false,
        reset: false,
      },
    ];
    await e.sync(true);
    expect((await db.households.toArray()).map((h) => h.id)).toEqual(['h2']);
    expect((await db.statuses.get('h2:0'))?.covered_1).toBe(true);
    expect(await db.skills.count()).toBe(1);
  });
});
