import type { HouseholdStatus } from './types';

export type Bucket = 'unvisited' | 'revisit' | 'declined' | 'covered' | 'moved';

/**
 * Which walk-list filter a household falls in. "Cần thăm lại" = visited but not home, or met without
 * reaching the campaign's number of proficient people; "Từ chối" = the last visit was declined.
 */
export function bucket(status: HouseholdStatus | undefined, threshold = 1): Bucket {
  if (!status || status.visits === 0) return 'unvisited';
  if (threshold >= 2 ? status.covered_2 : status.covered_1) return 'covered';
  if (status.last_outcome === 'moved') return 'moved';
  if (status.last_outcome === 'declined') return 'declined';
  return 'revisit';
}
