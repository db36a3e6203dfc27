/**
 * The model manifest (`models/manifest.json`, written by training/train.py): which members exist,
 * what they read, how the ensemble combines them. Serving refuses a manifest that disagrees with
 * this code (classes, feature layout, missing files) instead of scoring with a silent mismatch.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CLASSES, TASKS } from '../domain/labels.ts';
import { describeIssues } from '../domain/profile.ts';
import { DENSE_FEATURES } from '../features/title-features.ts';

const PerTask = <T extends z.ZodType>(item: T) => z.object({ seniority: item, department: item });

const MemberSchema = z.object({
  name: z.string().min(1),
  input: z.enum(['ngrams', 'dense']),
  vocabulary: z.string().optional(),
  prefixes: z.array(z.string()).optional(),
  files: PerTask(z.string().min(1)),
});
export type MemberSpec = z.infer<typeof MemberSchema>;

const PoolSchema = z.object({
  members: z.array(z.string()).min(1),
  weights: z.array(z.number().nonnegative()),
  bias: z.array(z.number()),
  fallbackThreshold: z.number().min(0).max(1),
});
export type PoolSpec = z.infer<typeof PoolSchema>;

export const ManifestSchema = z.object({
  version: z.string().min(1),
  createdAt: z.string(),
  classes: PerTask(z.array(z.string())),
  denseFeatures: z.array(z.string()),
  members: z.array(MemberSchema).min(1),
  encoder: z.unknown().nullable(),
  ensemble: PerTask(PoolSchema),
  training: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** Reads and checks `dir/manifest.json`; every problem is an error naming what disagrees. */
export function loadManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the model manifest ${path}: ${(err as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a valid manifest: ${describeIssues(parsed.error)}`);
  const manifest = parsed.data;
  const problems = manifestProblems(manifest, dir);
  if (problems.length > 0) throw new Error(`${path} does not match this code: ${problems.join('; ')}`);
  return manifest;
}

function manifestProblems(m: Manifest, dir: string): string[] {
  const problems: string[] = [];
  for (const task of TASKS) {
    if (JSON.stringify(m.classes[task]) !== JSON.stringify(CLASSES[task])) problems.push(`classes.${task} differ from src/domain/labels.ts`);
    const pool = m.ensemble[task];
    if (pool.weights.length !== pool.members.length) problems.push(`ensemble.${task}: ${pool.weights.length} weights for ${pool.members.length} members`);
    if (pool.bias.length !== CLASSES[task].length) problems.push(`ensemble.${task}: bias has ${pool.bias.length} entries, not ${CLASSES[task].length}`);
    for (const name of pool.members) if (!m.members.some((x) => x.name === name)) problems.push(`ensemble.${task} names unknown member ${name}`);
  }
  if (JSON.stringify(m.denseFeatures) !== JSON.stringify(DENSE_FEATURES)) {
    problems.push('denseFeatures differ from src/features/title-features.ts (retrain with npm run train)');
  }
  for (const member of m.members) {
    if (member.input === 'ngrams' && !member.vocabulary) problems.push(`member ${member.name} reads n-grams but names no vocabulary`);
    for (const file of [...Object.values(member.files), ...(member.vocabulary ? [member.vocabulary] : [])]) {
      if (!existsSync(join(dir, file))) problems.push(`member ${member.name}: ${file} is missing`);
    }
  }
  return problems;
}
