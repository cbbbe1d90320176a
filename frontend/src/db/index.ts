import { TungNhaDB } from './schema';

export { TungNhaDB, getMeta, setMeta, isStorageFull } from './schema';
export * from './types';
export { fold } from './fold';

/** The app's one database (tests build their own TungNhaDB with a fresh name). */
export const db = new TungNhaDB();
