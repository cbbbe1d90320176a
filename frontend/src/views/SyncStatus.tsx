import type { Session } from '../api/client';
import { lazyView } from '../components/lazy';

/** "Đồng bộ": its own chunk (see SyncStatusPage). */
export const SyncStatus = lazyView<{ session: Session; onLogout: () => void }>(() => import('./SyncStatusPage').then((m) => m.SyncStatusPage));
