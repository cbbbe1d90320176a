import { useEffect, useState } from 'preact/hooks';

// Set by the service-worker registration in main.tsx when a new build is waiting.
let applyUpdate: (() => Promise<void>) | null = null;
const listeners = new Set<() => void>();

export function offerUpdate(apply: () => Promise<void>): void {
  applyUpdate = apply;
  for (const fn of listeners) fn();
}

export function useUpdate(): (() => Promise<void>) | null {
  const [, setTick] = useState(0);
  useEffect(() => {
    const fn = () => setTick((n) => n + 1);
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  }, []);
  return applyUpdate;
}

/** Set just before the app reloads itself (update accepted), so no "unsynced data" warning blocks it. */
export const reloadState = { intentional: false };
