import { useEffect, useState } from 'preact/hooks';
import type { SyncState } from '../sync/engine';
import { engine } from '../services';

export function useSyncState(): SyncState {
  const [state, setState] = useState<SyncState>(engine.state);
  useEffect(() => engine.subscribe(setState), []);
  return state;
}
