// The only module that talks to the network. Views and the sync loop call these functions;
// nothing here touches IndexedDB inside a transaction.
import type { ChangeOut, MeOut, MutationResultOut, PushIn, TokenOut, UserOut } from './types';

export type { MeOut, PushIn, TokenOut, UserOut };
type FullResult = MutationResultOut;
/** A per-mutation answer; `code`/`message` only matter for `rejected`, so they may be absent. */
export type MutationResult = Pick<FullResult, 'seq' | 'id' | 'status'> & Partial<Pick<FullResult, 'code' | 'message' | 'message_en'>>;
export interface PushOut {
  last_seq: number;
  results: MutationResult[];
}
/** One pulled row; a tombstone (`op: delete`) may come without `data`. */
export type Change = Omit<ChangeOut, 'data'> & { data?: Record<string, unknown> | null };
export interface PullOut {
  changes: Change[];
  cursor: string;
  has_more: boolean;
  reset: boolean;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public messageEn = '',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No answer at all (offline, DNS, connection reset): always temporary. */
export class NetworkError extends Error {
  constructor(message = 'network') {
    super(message);
    this.name = 'NetworkError';
  }
}

/** The refresh token is gone or refused: the volunteer must log in again; the outbox stays. */
export class AuthRequired extends Error {
  constructor() {
    super('auth_required');
    this.name = 'AuthRequired';
  }
}

export interface Session {
  access_token: string;
  refresh_token: string;
  access_expires_at: number;
  refresh_expires_at: number;
  user: UserOut;
}

export interface SessionStore {
  get(): Promise<Session | null>;
  set(session: Session): Promise<void>;
  clear(): Promise<void>;
}

function jwtExpiry(token: string): number | null {
  try {
    const part = token.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: number }).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

export function sessionFromTokens(t: TokenOut, now = Date.now()): Session {
  return {
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    access_expires_at: now + t.expires_in * 1000,
    refresh_expires_at: jwtExpiry(t.refresh_token) ?? now + 30 * 24 * 3600 * 1000,
    user: t.user,
  };
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class Api {
  private refreshing: Promise<Session> | null = null;

  constructor(
    private store: SessionStore,
    private fetchImpl: FetchLike = (input, init) => fetch(input, init),
    private base = '/api/v1',
  ) {}

  async login(phone: string, password: string): Promise<Session> {
    const tokens = await this.request<TokenOut>('POST', '/auth/login', { phone, password }, false);
    const session = sessionFromTokens(tokens);
    await this.store.set(session);
    return session;
  }

  /** One refresh at a time, shared by every caller that hit a 401. */
  refresh(): Promise<Session> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const current = await this.store.get();
        if (!current || current.refresh_expires_at < Date.now()) throw new AuthRequired();
        try {
          const tokens = await this.request<TokenOut>('POST', '/auth/refresh', { refresh_token: current.refresh_token }, false);
          const session = sessionFromTokens(tokens);
          await this.store.set(session);
          return session;
        } catch (e) {
          if (e instanceof ApiError && e.code === 'account_deactivated') throw e;
          if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw new AuthRequired();
          throw e;
        }
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  me(): Promise<MeOut> {
    return this.request<MeOut>('GET', '/me');
  }

  push(body: PushIn): Promise<PushOut> {
    return this.request<PushOut>('POST', '/sync/push', body);
  }

  pull(cursor: string | null, limit = 500): Promise<PullOut> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return this.request<PullOut>('GET', `/sync/pull?${q}`);
  }

  /** A JSON read for the officials' dashboard (reports, campaigns): same auth and errors as the rest. */
  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** A JSON write (the officials' administration screens). */
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body);
  }

  /** A multipart upload (a household list, a phone's exported outbox). */
  upload<T>(path: string, form: FormData): Promise<T> {
    return this.request<T>('POST', path, form);
  }

  /** A file (a report export): the response body as a Blob and the server's file name. */
  async download(path: string, form?: FormData): Promise<{ blob: Blob; filename: string }> {
    const response = await this.request<Response>(form ? 'POST' : 'GET', path, form, true, false, true);
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    const plain = /filename="([^"]+)"/i.exec(disposition);
    const filename = utf8 ? decodeURIComponent(utf8[1]) : plain ? plain[1] : 'tungnha-report';
    return { blob: await response.blob(), filename };
  }

  private async request<T>(method: string, path: string, body?: unknown, auth = true, retried = false, raw = false): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const multipart = body instanceof FormData;
    if (body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
    if (auth) {
      let session = await this.store.get();
      if (!session) throw new AuthRequired();
      if (session.access_expires_at - 30_000 < Date.now() && !retried) session = await this.refresh();
      headers.Authorization = `Bearer ${session.access_token}`;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new NetworkError();
    }
    if (response.status === 401 && auth && !retried) {
      await this.refresh();
      return this.request<T>(method, path, body, auth, true, raw);
    }
    if (response.status === 401 && auth) throw new AuthRequired();
    if (!response.ok) {
      let code = `http_${response.status}`;
      let message = response.statusText;
      let messageEn = '';
      try {
        const payload = (await response.json()) as { error?: { code?: string; message?: string; message_en?: string } };
        code = payload.error?.code ?? code;
        message = payload.error?.message ?? message;
        messageEn = payload.error?.message_en ?? '';
      } catch {
        /* not JSON (a proxy's error page): keep the status */
      }
      throw new ApiError(response.status, code, message, messageEn);
    }
    if (raw) return response as unknown as T;
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
}
