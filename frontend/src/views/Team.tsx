import type { Session } from '../api/client';
import { lazyView } from '../components/lazy';

/** The team leader's page: its own chunk (see TeamPage). */
export const Team = lazyView<{ session: Session }>(() => import('./TeamPage').then((m) => m.TeamPage));
