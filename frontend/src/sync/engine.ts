import { getMeta, setMeta, type TungNhaDB } from '../db/schema';
import { ApiError, AuthRequired, NetworkError, type PullOut, type PushIn, type PushOut } from '../api/client';
import { applyResults, getClientId, pendingBatch, SCHEMA_VERSION } from './outbox';
import { applyPage } from './pull';

export interface SyncApi {
  push(body: PushIn): Promise<PushOut>;
  pull(cursor: string | null, limit?: number): Promise<PullOut>;
}

export type SyncPhase = 'idle' | 'pushing' | 'pulling';
/** Why the loop stopped: a state the UI explains. `null` = last run succeeded. */
export type SyncProblem = null | 'offline' | 'server' | 'auth' | 'update_required' | 'forbidden' | 'deactivated' | 'stalled';

export interface SyncState {
  phase: SyncPhase;
  problem: SyncProblem;
  failures: number;
  nextAttemptAt: number | null;
  pulledPages: number;
  pulledChanges: number;
  lastSyncedAt: string | null;
  /** Increases at the end of every run, successful or not: the ⟳ button waits for it to show a result. */
  runs: number;
}

export const BACKOFF_BASE_MS = 5_000;
/** While the phone says it is online a visit never waits more than a minute for the next try. */
export const BACKOFF_MAX_MS = 60_000;
/** With no network at all, trying often is pointless: the `online` event starts the next run. */
export const BACKOFF_OFFLINE_MAX_MS = 5 * 60_000;
export const PULL_LIMIT = 500;

/** 5 s doubling to 60 s (5 min offline), with ±20% jitter so that a hamlet's phones do not retry in step. */
export function backoffDelay(failures: number, random: () => number = Math.random, max = BACKOFF_MAX_MS): number {
  const base = Math.min(max, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(Math.min(max, base * (0.8 + 0.4 * random())));
}

export interface EngineOptions {
  db: TungNhaDB;
  api: SyncApi;
  /** Runs `fn` only if no other tab is syncing; resolves false when skipped. */
  exclusive?: (fn: () => Promise<void>) => Promise<boolean>;
  now?: () => number;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** False when the device reports no network (navigator.onLine); the backoff may then grow longer. */
  online?: () => boolean;
}

/** Web Locks when the browser has them: one tab syncs, the others skip. */
export function webLockExclusive(name = 'tungnha-sync') {
  return async (fn: () => Promise<void>): Promise<boolean> => {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) {
      await fn();
      return true;
    }
    return locks.request(name, { ifAvailable: true }, async (lock) => {
      if (!lock) return false;
      await fn();
      return true;
    });
  };
}

/**
 * The sync loop: push every pending mutation (in seq order, ≤100 a request), then pull pages until
 * `has_more` is false. Network calls and IndexedDB transactions never overlap.
 */
export class SyncEngine {
  state: SyncState = {
    phase: 'idle',
    problem: null,
    failures: 0,
    nextAttemptAt: null,
    pulledPages: 0,
    pulledChanges: 0,
    lastSyncedAt: null,
    runs: 0,
  };
  private running: Promise<void> | null = null;
  private timer: unknown = null;
  private listeners = new Set<(s: SyncState) => void>();
  private readonly db: TungNhaDB;
  private readonly api: SyncApi;
  private readonly exclusive: (fn: () => Promise<void>) => Promise<boolean>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly online: () => boolean;

  constructor(opts: EngineOptions) {
    this.db = opts.db;
    this.api = opts.api;
    this.exclusive = opts.exclusive ?? (async (fn) => (await fn(), true));
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.online = opts.online ?? (() => (globalThis.navigator as Navigator | undefined)?.onLine !== false);
  }

  subscribe(fn: (s: SyncState) => void): () => void {
    this.listeners.add(fn);
    fn(this.state);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<SyncState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn(this.state);
  }

  /** True while a failure's backoff window is open (timer and visibility triggers wait for it). */
  inBackoff(): boolean {
    return this.state.nextAttemptAt !== null && this.now() < this.state.nextAttemptAt;
  }

  /**
   * Run one sync now. `force` (button, `online`, load) ignores the backoff window; a run already in
   * progress is joined, not doubled.
   */
  sync(force = false): Promise<void> {
    if (this.running) return this.running;
    if (!force && this.inBackoff()) return Promise.resolve();
    if (this.state.problem === 'auth' || this.state.problem === 'update_required' || this.state.problem === 'deactivated') {
      if (!force) return Promise.resolve();
    }
    this.running = this.exclusive(() => this.runOnce())
      .then(() => undefined)
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** The signal came back: forget past failures, so the next failure waits 5 s again, not a minute. */
  resetBackoff(): void {
    this.stop();
    this.set({ failures: 0, nextAttemptAt: null });
  }

  stop(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private async runOnce(): Promise<void> {
    try {
      await this.pushAll();
      await this.pullAll();
      const at = new Date(this.now()).toISOString();
      await setMeta(this.db, 'last_synced_at', at);
      this.set({ phase: 'idle', problem: null, failures: 0, nextAttemptAt: null, lastSyncedAt: at, runs: this.state.runs + 1 });
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    let problem: SyncProblem = 'server';
    if (error instanceof NetworkError) problem = 'offline';
    else if (error instanceof AuthRequired) problem = 'auth';
    else if (error instanceof ApiError && error.status === 426) problem = 'update_required';
    else if (error instanceof ApiError && error.code === 'account_deactivated') problem = 'deactivated';
    else if (error instanceof ApiError && error.status === 403) problem = 'forbidden';
    else if (error instanceof StalledPush) problem = 'stalled';
    else if (!(error instanceof ApiError)) {
      // An IndexedDB failure or a bug: keep the data, retry later like a server error.
      console.error('sync failed', error);
    }
    const failures = this.state.failures + 1;
    const terminal = problem === 'auth' || problem === 'update_required' || problem === 'deactivated';
    const delay = backoffDelay(failures, this.random, this.online() ? BACKOFF_MAX_MS : BACKOFF_OFFLINE_MAX_MS);
    this.set({
      phase: 'idle',
      problem,
      failures,
      runs: this.state.runs + 1,
      nextAttemptAt: terminal ? null : this.now() + delay,
    });
    if (!terminal) {
      this.stop();
      this.timer = this.setTimer(() => {
        this.timer = null;
        void this.sync();
      }, delay);
    }
  }

  private async pushAll(): Promise<void> {
    const clientId = await getClientId(this.db);
    for (;;) {
      const batch = await pendingBatch(this.db);
      if (batch.length === 0) return;
      this.set({ phase: 'pushing' });
      const answer = await this.api.push({
        client_id: clientId,
        schema_version: SCHEMA_VERSION,
        mutations: batch.map((e) => ({ seq: e.seq, id: e.id, kind: e.kind, data: e.data as Record<string, unknown> })),
      });
      const summary = await applyResults(this.db, answer.results);
      if (summary.done + summary.rejected === 0) throw new StalledPush();
    }
  }

  private async pullAll(): Promise<void> {
    let cursor = (await getMeta<string>(this.db, 'cursor')) ?? null;
    const progress = (await getMeta<{ pages: number; changes: number; has_more: boolean }>(this.db, 'pull_progress')) ?? {
      pages: 0,
      changes: 0,
      has_more: true,
    };
    // A finished first sync starts counting again; an interrupted one resumes its counters.
    let pages = progress.has_more ? progress.pages : 0;
    let changes = progress.has_more ? progress.changes : 0;
    this.set({ phase: 'pulling', pulledPages: pages, pulledChanges: changes });
    let restart = false;
    for (;;) {
      let page: PullOut;
      try {
        page = await this.api.pull(cursor, PULL_LIMIT);
      } catch (error) {
        // A damaged or foreign cursor: start over from nothing, once, replacing the local copy.
        if (error instanceof ApiError && error.code === 'invalid_cursor' && cursor !== null && !restart) {
          cursor = null;
          restart = true;
          continue;
        }
        throw error;
      }
      if (restart) {
        page = { ...page, reset: true };
        restart = false;
      }
      pages += 1;
      changes += page.changes.length;
      await applyPage(this.db, page, { pages, changes });
      cursor = page.cursor;
      this.set({ pulledPages: pages, pulledChanges: changes });
      if (!page.has_more) return;
    }
  }
}

/** The server answered `retry` for everything: nothing moved, so wait instead of spinning. */
export class StalledPush extends Error {
  constructor() {
    super('push made no progress');
    this.name = 'StalledPush';
  }
}
