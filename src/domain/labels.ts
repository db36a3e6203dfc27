/**
 * The class lists of both tasks: the one source of truth for labels, their order (which is also the
 * column order of every probability vector) and the seniority ladder used by career features.
 */
export const SENIORITY_CLASSES = ['Junior', 'Professional', 'Senior', 'Lead', 'Director', 'Management'] as const;
export type Seniority = (typeof SENIORITY_CLASSES)[number];

export const DEPARTMENT_CLASSES = [
  'Information Technology',
  'Sales',
  'Marketing',
  'Human Resources',
  'Consulting',
  'Project Management',
  'Business Development',
  'Customer Support',
  'Administrative',
  'Purchasing',
  'Other',
] as const;
export type Department = (typeof DEPARTMENT_CLASSES)[number];

export const TASKS = ['seniority', 'department'] as const;
export type Task = (typeof TASKS)[number];

export const CLASSES = { seniority: SENIORITY_CLASSES, department: DEPARTMENT_CLASSES } as const;
export type LabelOf<T extends Task> = T extends 'seniority' ? Seniority : Department;

/** Ordinal level on the career ladder: Junior = 1 … Management = 6. */
export function seniorityLevel(s: Seniority): number {
  return SENIORITY_CLASSES.indexOf(s) + 1;
}

export const LANGUAGES = ['en', 'de', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number] | 'unknown';
