import type { HouseholdStatus } from './types';

export type Bucket = 'unvisited' | 'revisit' | 'covered' | 'moved';

/**
 * Which walk-list filter a household falls in. "Cần thăm lại" = visited but not home, declined,
 * or met without reaching the campaign's number of proficient people.
 */
export function bucket(status: HouseholdStatus | undefined, threshold = 1): Bucket {
  if (!status || status.visits === 0) return 'unvisited';
  if (threshold >= 2 ? status.covered_2 : status.covered_1) return 'covered';
  if (status.last_outcome === 'moved') return 'moved';
  return 'revisit';
}
