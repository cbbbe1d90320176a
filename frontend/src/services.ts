// The app's singletons: one database, one API client, one sync loop.
import { Api, type Session, type SessionStore } from './api/client';
import { db, getMeta, setMeta } from './db';
import { SyncEngine, webLockExclusive } from './sync/engine';

export const sessionStore: SessionStore = {
  get: async () => (await getMeta<Session>(db, 'session')) ?? null,
  set: (s) => setMeta(db, 'session', s),
  clear: () => db.meta.delete('session'),
};

export const api = new Api(sessionStore);
export const engine = new SyncEngine({ db, api, exclusive: webLockExclusive() });
export { db };
