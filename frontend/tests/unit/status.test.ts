import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/db/address';
import { bucket } from '../../src/db/status';
import type { HouseholdStatus } from '../../src/db/types';

const status = (patch: Partial<HouseholdStatus>): HouseholdStatus => ({
  id: 'h:0',
  household_id: 'h',
  campaign_id: 0,
  visits: 1,
  last_outcome: 'met',
  last_visit_at: null,
  visited: true,
  proficient_people: 0,
  covered_1: false,
  covered_2: false,
  ...patch,
});

describe('walk-list filters', () => {
  it('"Chưa thăm" is a household with no visit', () => {
    expect(bucket(undefined)).toBe('unvisited');
    expect(bucket(status({ visits: 0, last_outcome: null, visited: false }))).toBe('unvisited');
  });

  it('"Cần thăm lại" is not home, or met without enough proficient people', () => {
    expect(bucket(status({ last_outcome: 'not_home', visited: false }))).toBe('revisit');
    expect(bucket(status({}))).toBe('revisit');
    expect(bucket(status({ proficient_people: 1, covered_1: true }), 2)).toBe('revisit');
  });

  it('"Từ chối" is its own filter: the last visit was declined', () => {
    expect(bucket(status({ last_outcome: 'declined', visited: false }))).toBe('declined');
    expect(bucket(status({ last_outcome: 'declined', visited: true, proficient_people: 1, covered_1: true }))).toBe('covered');
  });

  it('"Đạt" follows the campaign threshold', () => {
    expect(bucket(status({ proficient_people: 1, covered_1: true }))).toBe('covered');
    expect(bucket(status({ proficient_people: 2, covered_1: true, covered_2: true }), 2)).toBe('covered');
  });

  it('a household that moved away is in none of them', () => {
    expect(bucket(status({ last_outcome: 'moved', visited: false }))).toBe('moved');
  });
});

describe('walk-list order', () => {
  it('sorts by tổ, then house number, numerically, whatever the accents; an address without them goes last', () => {
    const addresses = ['Số 3, ấp Mới', 'Tổ 10, số 1', 'to 2, so 10', 'Tổ 2, Số 9, đường 30/4', 'Tổ dân phố 1, SN 4', 'ấp Mới', '12 Trần Phú, tổ 1'];
    const sorted = [...addresses].sort((a, b) => {
      const [x, y] = [addressKey(a), addressKey(b)];
      return x.group - y.group || x.house - y.house;
    });
    expect(sorted).toEqual(['Tổ dân phố 1, SN 4', '12 Trần Phú, tổ 1', 'Tổ 2, Số 9, đường 30/4', 'to 2, so 10', 'Tổ 10, số 1', 'Số 3, ấp Mới', 'ấp Mới']);
  });
});
