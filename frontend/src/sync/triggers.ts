import type { SyncEngine } from './engine';

export const PERIOD_MS = 60_000;

/**
 * Sync on load, when the signal returns, when the page becomes visible, and on a timer. Background
 * Sync is not used as the engine: a page that is open is what we can count on.
 */
export function startTriggers(engine: SyncEngine, win: Window = window): () => void {
  const online = () => {
    engine.resetBackoff();
    void engine.sync(true);
  };
  const visible = () => {
    if (win.document.visibilityState === 'visible') void engine.sync(false);
  };
  win.addEventListener('online', online);
  win.document.addEventListener('visibilitychange', visible);
  const timer = win.setInterval(() => {
    if (win.navigator.onLine !== false) void engine.sync(false);
  }, PERIOD_MS);
  void engine.sync(true);
  return () => {
    win.removeEventListener('online', online);
    win.document.removeEventListener('visibilitychange', visible);
    win.clearInterval(timer);
  };
}
