/**
 * Analysts' corrections: the right seniority and/or department of one stored position, or of a
 * normalized title (then of every position with that title, now and in the future). Stored
 * append-only (src/store/corrections.ts): an undo is a new row naming the row it cancels. What
 * applies is folded into a CorrectionSet, which the scoring core reads as an explicit input.
 */
import { z } from 'zod';
import { DEPARTMENT_CLASSES, type LabelOf, SENIORITY_CLASSES, type Task } from './labels.ts';
import { PositionSchema } from './profile.ts';

/** A position's id in the API: `<profileId>#<positionIndex>` (the last `#` separates them). */
export function positionId(profileId: string, positionIndex: number): string {
  return `${profileId}#${positionIndex}`;
}

export function parsePositionId(id: string): { profileId: string; positionIndex: number } | null {
  const at = id.lastIndexOf('#');
  const index = Number(id.slice(at + 1));
  if (at <= 0 || !/^\d+$/.test(id.slice(at + 1)) || !Number.isSafeInteger(index)) return null;
  return { profileId: id.slice(0, at), positionIndex: index };
}

/** POST /api/corrections: a title (as typed) or a position id, and at least one class. */
export const CorrectionRequestSchema = z
  .strictObject({
    title: PositionSchema.shape.position.optional(),
    positionId: z
      .string()
      .max(300)
      .refine((id) => parsePositionId(id) !== null, { message: 'must be <profileId>#<positionIndex>' })
      .optional(),
    seniority: z.enum(SENIORITY_CLASSES).optional(),
    department: z.enum(DEPARTMENT_CLASSES).optional(),
  })
  .refine((r) => (r.title === undefined) !== (r.positionId === undefined), { message: 'give either title or positionId' })
  .refine((r) => r.seniority !== undefined || r.department !== undefined, { message: 'give seniority, department or both' });
export type CorrectionRequest = z.infer<typeof CorrectionRequestSchema>;

/** One stored row, as the API lists it. */
export interface Correction {
  id: number;
  createdAt: string;
  author: string;
  /** The title as typed and its key (normalized as scoring does), for a title correction. */
  title: string | null;
  titleKey: string | null;
  /** For a position correction. */
  positionId: string | null;
  seniority: string | null;
  department: string | null;
  /** An undo row: the id of the row it cancels. */
  undoes: number | null;
  /** Whether a later row undid this one. */
  undone: boolean;
}

/** What applies to one task of one title or position: the label and which row said so. */
export interface AppliedCorrection<T extends Task> {
  label: LabelOf<T>;
  correctionId: number;
  author: string;
  createdAt: string;
}

export type CorrectionsOf = { [T in Task]?: AppliedCorrection<T> };

export interface CorrectionSet {
  /** The highest row id it was folded from (0: none): a writer checks it is still current (store/corrections.ts). */
  version: number;
  /** By title key (PreparedTitle.normalized). */
  titles: Map<string, CorrectionsOf>;
  /** By positionId. */
  positions: Map<string, CorrectionsOf>;
}

export const NO_CORRECTIONS: CorrectionSet = { version: 0, titles: new Map(), positions: new Map() };

/**
 * What applies, from every stored row in id order: per title or position and per task, the latest
 * row setting that task that is neither an undo nor undone.
 */
export function foldCorrections(rows: readonly Correction[]): CorrectionSet {
  const set: CorrectionSet = { version: 0, titles: new Map(), positions: new Map() };
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    set.version = Math.max(set.version, row.id);
    if (row.undoes !== null || row.undone) continue;
    const [map, key] = row.titleKey !== null ? [set.titles, row.titleKey] : [set.positions, row.positionId!];
    const entry = map.get(key) ?? {};
    const applied = { correctionId: row.id, author: row.author, createdAt: row.createdAt };
    if (row.seniority) entry.seniority = { ...applied, label: row.seniority as LabelOf<'seniority'> };
    if (row.department) entry.department = { ...applied, label: row.department as LabelOf<'department'> };
    map.set(key, entry);
  }
  return set;
}

/** The correction of one task of a position: its own beats its title's. */
export function correctionFor<T extends Task>(set: CorrectionSet, task: T, titleKey: string, id: string | null): AppliedCorrection<T> | undefined {
  return (id !== null ? (set.positions.get(id)?.[task] as AppliedCorrection<T> | undefined) : undefined) ?? (set.titles.get(titleKey)?.[task] as AppliedCorrection<T> | undefined);
}
