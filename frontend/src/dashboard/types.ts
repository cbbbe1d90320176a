// The report responses, as app/reports/schemas.py defines them. Percentages are 0–100, one decimal.

export interface UnitRef {
  id: number;
  level: 'province' | 'district' | 'commune' | 'hamlet';
  code: string;
  name: string;
}

export interface CampaignRef {
  id: number;
  name: string;
  unit_id: number;
  starts_on: string;
  ends_on: string;
  covered_threshold: number;
}

export interface Label {
  id: string;
  label_vi: string;
  label_en: string;
}

export interface CoverageFigures {
  unit: UnitRef;
  households: number;
  households_visited: number;
  visited_pct: number;
  households_covered: number;
  covered_pct: number;
  households_covered_1: number;
  households_covered_2: number;
  households_to_visit: number;
  households_not_home: number;
  households_declined: number;
  households_moved: number;
  visits: number;
  people: number;
  people_taught: number;
  people_proficient_all: number;
  proficient_all_pct: number;
  skills: { skill_id: string; people_taught: number; people_proficient: number }[];
  milestones: { milestone_id: string; people: number }[];
}

export interface Coverage {
  unit: UnitRef;
  ancestors: UnitRef[];
  campaign: CampaignRef | null;
  covered_threshold: number;
  target: { households: number; covered_threshold: number; people_proficient_all: number };
  skills: Label[];
  milestones: Label[];
  totals: CoverageFigures;
  child_level: UnitRef['level'] | null;
  children: CoverageFigures[];
  generated_at: string;
}

export interface DayFigures {
  day: string;
  visits: number;
  households_visited: number;
  households_covered: number;
  people_proficient_all: number;
  cumulative_visits: number;
  cumulative_households_visited: number;
  cumulative_households_covered: number;
  cumulative_people_proficient_all: number;
  cumulative_visited_pct: number;
  cumulative_covered_pct: number;
}

export interface Progress {
  unit: UnitRef;
  campaign: CampaignRef | null;
  covered_threshold: number;
  households: number;
  days: DayFigures[];
  generated_at: string;
}

/** GET /campaigns (the campaigns that reach a unit). */
export interface CampaignItem {
  id: number;
  name: string;
  unit_id: number;
  unit_name: string;
  starts_on: string;
  ends_on: string;
  covered_threshold: number;
  state: 'upcoming' | 'running' | 'ended';
}
