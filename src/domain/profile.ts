/**
 * Input contracts (DESIGN.md section 2): the Kafka message, the raw data format, and the annotated
 * format. Every rejection names the field and the reason (see `describeIssues`).
 */
import { z } from 'zod';
import { DEPARTMENT_CLASSES, SENIORITY_CLASSES } from './labels.ts';

/** Longest job title accepted; the longest real title in the data is about 100 characters. */
export const MAX_TITLE_LENGTH = 300;
/** Longest organization name accepted. */
export const MAX_ORGANIZATION_LENGTH = 300;
/** Most positions one profile may carry; real CVs have at most a few dozen. */
export const MAX_POSITIONS = 200;
/** Longest profile id (it is also the Kafka message key). */
export const MAX_PROFILE_ID_LENGTH = 200;

// C0/C1 control characters other than tab; a title or id containing them is not text.
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const text = (max: number) =>
  z
    .string()
    .max(max, { message: `is longer than ${max} characters` })
    .refine((s) => !CONTROL_CHARS.test(s), { message: 'contains control characters' });

/**
 * A month as `YYYY-MM`; real CVs also carry a bare year (`YYYY`, about 13% of dates), kept as given
 * and read by the career features as the start or end of that year.
 */
export const YearMonthSchema = z
  .string()
  .regex(/^(19|20)\d{2}(-(0[1-9]|1[0-2]))?$/, { message: 'is not YYYY-MM (or YYYY)' });

export const StatusSchema = z.enum(['ACTIVE', 'INACTIVE', 'UNKNOWN']);
export type Status = z.infer<typeof StatusSchema>;

export const PositionSchema = z.object({
  position: text(MAX_TITLE_LENGTH).refine((s) => s.trim().length > 0, { message: 'is empty' }),
  organization: text(MAX_ORGANIZATION_LENGTH).nullish(),
  startDate: YearMonthSchema.nullish(),
  endDate: YearMonthSchema.nullish(),
  status: StatusSchema.nullish(),
  linkedin: text(1000).nullish(),
});
export type Position = z.infer<typeof PositionSchema>;

const positions = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1, { message: 'has no positions' })
    .max(MAX_POSITIONS, { message: `has more than ${MAX_POSITIONS} positions` });

/** One Kafka message on `cv-profiles`; the message key is the profile id. */
export const ProfileMessageSchema = z.object({
  profileId: text(MAX_PROFILE_ID_LENGTH).refine((s) => s.trim().length > 0, { message: 'is empty' }),
  positions: positions(PositionSchema),
});
export type ProfileMessage = z.infer<typeof ProfileMessageSchema>;

/** The raw data format: a profile is a bare array of positions. */
export const RawProfileSchema = positions(PositionSchema);

export const AnnotatedPositionSchema = PositionSchema.extend({
  seniority: z.enum(SENIORITY_CLASSES),
  department: z.enum(DEPARTMENT_CLASSES),
});
export type AnnotatedPosition = z.infer<typeof AnnotatedPositionSchema>;
export const AnnotatedProfileSchema = positions(AnnotatedPositionSchema);

/** Turns zod issues into one line a user can act on: `positions[2].startDate: is not YYYY-MM`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
        .join('');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
