import { describe, expect, it } from 'vitest';
import { reportCampaign, volunteersPath } from '../../src/views/useTeamReport';

const campaign = (id: number, starts_on: string, ends_on: string) => ({ id, name: `c${id}`, unit_id: 1, starts_on, ends_on, covered_threshold: 1 });

describe("the team leader's report", () => {
  it('follows the running campaign, else the latest started, else all time', () => {
    const ended = campaign(1, '2024-10-01', '2024-10-10');
    const running = campaign(2, '2024-11-01', '2024-11-30');
    const upcoming = campaign(3, '2024-12-15', '2024-12-31');
    expect(reportCampaign([ended, running, upcoming], new Date(2024, 10, 15))?.id).toBe(2);
    expect(reportCampaign([ended, running, upcoming], new Date(2024, 11, 5))?.id).toBe(2);
    expect(reportCampaign([ended, upcoming], new Date(2024, 9, 20))?.id).toBe(1);
    expect(reportCampaign([upcoming], new Date(2024, 9, 20))).toBeNull();
  });

  it('asks for one page of households at a time, with the reason when filtered', () => {
    expect(volunteersPath(7, null, 0)).toBe('/reports/volunteers?campaign_id=7&limit=20&offset=0');
    expect(volunteersPath(0, 'not_home', 40)).toBe('/reports/volunteers?campaign_id=0&limit=20&offset=40&reason=not_home');
  });
});
