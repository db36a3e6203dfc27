/**
 * Turns untrusted input (a Kafka message, an NDJSON line, an item of a JSON array) into a validated
 * profile or a rejection with a reason. Pure: shared by every entry point so they reject alike.
 */
import { createHash } from 'node:crypto';
import { type ZodType } from 'zod';
import {
  type Position,
  type ProfileMessage,
  ProfileMessageSchema,
  RawProfileSchema,
  describeIssues,
} from './profile.ts';

/** Largest message accepted, in bytes; a real profile is a few kilobytes. */
export const MAX_MESSAGE_BYTES = 1_000_000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses one message: JSON text of `{profileId, positions}` or a raw array of positions. */
export function parseProfileText(text: string): Parsed<ProfileMessage> {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    return { ok: false, reason: `message is ${bytes} bytes, over the limit of ${MAX_MESSAGE_BYTES}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  return parseProfileValue(value);
}

/** Validates an already-parsed value: a message object or a raw profile (array of positions). */
export function parseProfileValue(value: unknown): Parsed<ProfileMessage> {
  if (Array.isArray(value)) {
    const raw = validate(RawProfileSchema, value, 'positions');
    if (!raw.ok) return raw;
    return { ok: true, value: { profileId: rawProfileId(raw.value), positions: raw.value } };
  }
  if (value === null || typeof value !== 'object') {
    return { ok: false, reason: `(root): expected a profile object or an array of positions, got ${describeType(value)}` };
  }
  return validate(ProfileMessageSchema, value);
}

function validate<T>(schema: ZodType<T>, value: unknown, prefix?: string): Parsed<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const reason = describeIssues(result.error);
  return { ok: false, reason: prefix ? `${prefix}${reason.startsWith('(root)') ? reason.slice(6) : reason}` : reason };
}

function describeType(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/**
 * sha256 over the positions in a fixed key order; equal content gives an equal hash whatever the
 * key order or absent-vs-null spelling of the input.
 */
export function contentHash(positions: readonly Position[]): string {
  const canonical = positions.map((p) => [
    p.position,
    p.organization ?? null,
    p.startDate ?? null,
    p.endDate ?? null,
    p.status ?? null,
    p.linkedin ?? null,
  ]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** The stable id of a raw profile (which has none of its own): derived from its content. */
export function rawProfileId(positions: readonly Position[]): string {
  return `raw-${contentHash(positions).slice(0, 20)}`;
}
