// Contract placeholder: implemented in the career-features task.
import type { Department, Seniority } from '../domain/labels.ts';
import type { Status } from '../domain/profile.ts';

export interface CareerInput {
  startDate?: string | null;
  endDate?: string | null;
  status?: Status | null;
  organization?: string | null;
  seniority: Seniority;
  department: Department;
}

export interface CareerFeatures {
  currentPositionIndex: number | null;
  [feature: string]: unknown;
}

export function computeCareerFeatures(_positions: readonly CareerInput[], _asOf: string): CareerFeatures {
  throw new Error('not implemented');
}
