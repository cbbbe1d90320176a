import { getMeta, setMeta, type TungNhaDB } from '../db/schema';
import type { MutationKind, OutboxEntry } from '../db/types';
import type { MutationResult } from '../api/client';

export const SCHEMA_VERSION = 1;
export const PUSH_LIMIT = 100;

/** A random installation id: URL-safe base64 of 16 random bytes (22 chars of [A-Za-z0-9_-]). */
export function newClientId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function getClientId(db: TungNhaDB): Promise<string> {
  return db.transaction('rw', db.meta, async () => {
    let id = await getMeta<string>(db, 'client_id');
    if (!id) {
      id = newClientId();
      await setMeta(db, 'client_id', id);
    }
    return id;
  });
}

/**
 * Append a mutation. Must run inside the caller's read-write transaction over `outbox` and `meta`
 * together with the record it describes, so that both are saved or neither is.
 * Sequence numbers are never reused, even after the outbox empties.
 */
export async function enqueue(
  db: TungNhaDB,
  kind: MutationKind,
  data: OutboxEntry['data'] & { id: string },
  label?: string,
  fixes?: OutboxEntry['fixes'],
): Promise<number> {
  const stored = (await getMeta<number>(db, 'next_seq')) ?? 1;
  const last = await db.outbox.orderBy('seq').last();
  const seq = Math.max(stored, (last?.seq ?? 0) + 1);
  await db.outbox.add({
    seq,
    id: data.id,
    kind,
    data,
    state: 'pending',
    created_at: new Date().toISOString(),
    ...(label ? { label } : {}),
    ...(fixes ? { fixes } : {}),
  });
  await setMeta(db, 'next_seq', seq + 1);
  return seq;
}

export async function pendingBatch(db: TungNhaDB, limit = PUSH_LIMIT): Promise<OutboxEntry[]> {
  return db.outbox.where('state').equals('pending').limit(limit).toArray();
}

export interface OutboxCounts {
  /** Not acknowledged yet (fixed resends included). */
  pending: number;
  /** Refused by the server, waiting for the volunteer. */
  rejected: number;
  /** Fixed and resent, not applied yet: still listed under "Cần xử lý" (so `rejected + resending` items there). */
  resending: number;
}

export const NO_COUNTS: OutboxCounts = { pending: 0, rejected: 0, resending: 0 };

export async function counts(db: TungNhaDB): Promise<OutboxCounts> {
  const [pending, rejected, resending] = await Promise.all([
    db.outbox.where('state').equals('pending').count(),
    db.outbox.where('state').equals('rejected').count(),
    db.outbox
      .where('state')
      .equals('pending')
      .filter((e) => !!e.fixes)
      .count(),
  ]);
  return { pending, rejected, resending };
}

/** What "Cần xử lý" lists, oldest first: the rejected entries and the fixed resends the server has not applied yet. */
export async function needsAttention(db: TungNhaDB): Promise<OutboxEntry[]> {
  const entries = await db.outbox
    .orderBy('seq')
    .filter((e) => e.state === 'rejected' || !!e.fixes)
    .toArray();
  return entries;
}

export interface AckSummary {
  done: number;
  rejected: number;
  retry: number;
}

/**
 * Apply the server's per-mutation answers. An entry leaves the outbox only on its own
 * `applied`/`duplicate` for the same seq and id; `rejected` stays for the volunteer to handle.
 */
export async function applyResults(db: TungNhaDB, results: MutationResult[]): Promise<AckSummary> {
  const summary: AckSummary = { done: 0, rejected: 0, retry: 0 };
  await db.transaction('rw', db.outbox, db.visits, async () => {
    for (const r of results) {
      const entry = await db.outbox.get(r.seq);
      if (!entry || entry.id !== r.id) continue; // not ours (or already handled): never touch another entry
      if (r.status === 'applied' || r.status === 'duplicate') {
        await db.outbox.delete(r.seq);
        if (entry.kind === 'visit.create') await db.visits.update(entry.id, { local: false });
        summary.done++;
      } else if (r.status === 'rejected') {
        await db.outbox.update(r.seq, {
          state: 'rejected',
          error: { code: r.code ?? 'rejected', message: r.message ?? '', message_en: r.message_en ?? '' },
        });
        summary.rejected++;
      } else {
        summary.retry++;
      }
    }
  });
  return summary;
}

/** The volunteer chose to drop a rejected mutation ("Bỏ qua"). Pending entries cannot be discarded. */
export async function discard(db: TungNhaDB, seq: number): Promise<void> {
  await db.transaction('rw', db.outbox, async () => {
    const entry = await db.outbox.get(seq);
    if (entry?.state === 'rejected') await db.outbox.delete(seq);
  });
}

/**
 * Send a rejected upsert again, unchanged (its cause was fixed elsewhere), under a new seq: the old seq
 * is spent. It stays under "Cần xử lý" until applied. A visit is never resent under its id: the
 * corrected visit is a new one (`resendRejectedVisit` in db/writes).
 */
export async function requeue(db: TungNhaDB, seq: number): Promise<number | null> {
  return db.transaction('rw', db.outbox, db.meta, async () => {
    const entry = await db.outbox.get(seq);
    if (!entry || entry.state !== 'rejected' || entry.kind === 'visit.create') return null;
    await db.outbox.delete(seq);
    return enqueue(db, entry.kind, { ...entry.data, id: entry.id }, entry.label, { seq, error: entry.error });
  });
}

export interface OutboxExport {
  client_id: string;
  user_phone: string;
  exported_at: string;
  schema_version: 1;
  mutations: { seq: number; id: string; kind: MutationKind; data: OutboxEntry['data'] }[];
}

/** "Xuất dữ liệu chưa đồng bộ": everything not acknowledged, in the push format (docs/sync-v1.md). */
export async function exportOutbox(db: TungNhaDB, userPhone: string, now = new Date()): Promise<OutboxExport> {
  const clientId = await getClientId(db);
  const entries = await db.outbox.orderBy('seq').toArray();
  return {
    client_id: clientId,
    user_phone: userPhone,
    exported_at: now.toISOString(),
    schema_version: SCHEMA_VERSION,
    mutations: entries.map((e) => ({ seq: e.seq, id: e.id, kind: e.kind, data: e.data })),
  };
}
