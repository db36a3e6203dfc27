/**
 * The career-trajectory contract: what features/career.ts computes from a profile's scored
 * positions, stored in career_features and read by the analytics.
 */
import type { Department, Seniority } from './labels.ts';
import type { Status } from './profile.ts';

export interface CareerInput {
  startDate?: string | null;
  endDate?: string | null;
  status?: Status | null;
  organization?: string | null;
  seniority: Seniority;
  department: Department;
}

export interface CareerFeatures {
  /** Index (input order) of the current position: latest-starting ACTIVE one, else the one that ended last; null if no positions. */
  currentPositionIndex: number | null;
  /** Seniority of the current position; null if no positions. */
  currentSeniority: Seniority | null;
  /** Department of the current position; null if no positions. */
  currentDepartment: Department | null;
  /** Number of positions, dated or not. */
  positionCount: number;
  /** Distinct organization names, compared case- and whitespace-insensitively; empty names ignored. */
  organizationCount: number;
  /** Months covered by at least one dated position (overlapping months counted once). */
  totalExperienceMonths: number;
  /** Duration in months of the current position; null if its start or end is unknown. */
  currentTenureMonths: number | null;
  /** Mean duration in months of the positions with a known span; null if there are none. */
  meanTenureMonths: number | null;
  /** Months between the first start and the last end covered by no position. */
  gapMonths: number;
  /** Months covered by more than one position, each month counted once. */
  overlapMonths: number;
  /** Longest run of uncovered months between the first start and the last end. */
  longestGapMonths: number;
  /** Seniority level (Junior=1 … Management=6) of each position in chronological order (features/months.ts), undated last. */
  levels: number[];
  /** Highest seniority level reached; null if no positions. */
  highestLevel: number | null;
  /** Seniority label of the highest level reached; null if no positions. */
  highestSeniority: Seniority | null;
  /** Least-squares slope of level against years since the first start (levels per year); null if under 2 dated positions or no time spread. */
  senioritySlope: number | null;
  /** Number of level increases between consecutive positions in chronological order. */
  promotions: number;
  /** Number of level decreases between consecutive positions in chronological order. */
  stepDowns: number;
  /** Months from the first start to the start of the first dated position at Lead or above; null if never reached. */
  monthsToFirstLead: number | null;
  /** Months from the first start to the start of the first dated position at Director or above; null if never reached. */
  monthsToFirstDirector: number | null;
  /** Number of consecutive chronological positions whose department differs. */
  departmentChanges: number;
  /** Share (0..1) of positions in the most frequent department; null if no positions. */
  departmentConsistency: number | null;
  /** Number of distinct departments. */
  distinctDepartments: number;
  /** Positions whose dates are inverted (end before start), after `asOf`, or unreadable. */
  dateIssues: number;
}
