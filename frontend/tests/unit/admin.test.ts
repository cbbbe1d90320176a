import { describe, expect, it } from 'vitest';
import { parseDay, day } from '../../src/admin/messages';
import { compactRows } from '../../src/admin/selection';
import { href, parseRoute } from '../../src/router';

describe('administration helpers', () => {
  it('sends the chosen rows as ranges per sheet', () => {
    expect(compactRows(['0:9', '0:7', '0:8', '0:12', '1:7', '1:8', '0:7'])).toBe('0:7-9,0:12,1:7-8');
    expect(compactRows(['2', '3', '4', '10'])).toBe('2-4,10');
    expect(compactRows([])).toBe('');
  });

  it('reads dates as people write them, dd/mm/yyyy, and refuses days that do not exist', () => {
    expect(parseDay('01/10/2024')).toBe('2024-10-01');
    expect(parseDay(' 1/9/2024 ')).toBe('2024-09-01');
    expect(parseDay('10.10.2024')).toBe('2024-10-10');
    expect(parseDay('31/02/2024')).toBeNull();
    expect(parseDay('2024-10-01')).toBeNull();
    expect(parseDay('10/13/2024')).toBeNull();
    expect(day('2024-10-01')).toBe('01/10/2024');
  });

  it('routes the administration screens by unit, section and item', () => {
    expect(parseRoute('#/admin')).toEqual({ name: 'admin', unitId: undefined, section: undefined, itemId: undefined });
    expect(parseRoute('#/admin/42/teams/7')).toEqual({ name: 'admin', unitId: 42, section: 'teams', itemId: 7 });
    expect(href({ name: 'admin', unitId: 42, section: 'teams', itemId: 7 })).toBe('#/admin/42/teams/7');
    expect(href({ name: 'admin', unitId: 42 })).toBe('#/admin/42');
    expect(href({ name: 'admin' })).toBe('#/admin');
  });
});
