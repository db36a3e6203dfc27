/**
 * The model manifest (`models/manifest.json`, written by training/train.py): which members exist,
 * what they read, how the ensemble combines them. Serving refuses a manifest that disagrees with
 * this code (classes, feature layout, missing files) instead of scoring with a silent mismatch.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CLASSES, TASKS } from '../domain/labels.ts';
import { describeIssues } from '../domain/profile.ts';
import { DENSE_FEATURES } from '../features/title-features.ts';
import { TEXT_CONFIG_FILES } from '../text/text-config.ts';
import { KEYWORD_RULES_FILE, type KeywordConfig } from './keyword-rules.ts';

/**
 * The config files a trained model depends on: the text tables shape its n-grams and language
 * features, the keyword rules its `kw_*` features and the fallback. (`concepts.json` is pinned
 * with the encoder, `encoder.conceptsSha256`.)
 */
export const MODEL_CONFIG_FILES: readonly string[] = [...Object.values(TEXT_CONFIG_FILES), KEYWORD_RULES_FILE];

/** sha256 of each of MODEL_CONFIG_FILES as loaded, by file name: what a manifest pins (`config`). */
export function configDigests(config: KeywordConfig): Record<string, string> {
  return Object.fromEntries(MODEL_CONFIG_FILES.map((file) => [file, createHash('sha256').update(config.text.sources[file] ?? '').digest('hex')]));
}

const PerTask = <T extends z.ZodType>(item: T) => z.object({ seniority: item, department: item });

const MemberSchema = z.object({
  name: z.string().min(1),
  /** What the member reads: n-grams, the dense title/context features, the static embedding, or the sentence-encoder features. */
  input: z.enum(['ngrams', 'dense', 'static', 'encoder']),
  vocabulary: z.string().optional(),
  prefixes: z.array(z.string()).optional(),
  files: PerTask(z.string().min(1)),
  /** Titles and labels of a nearest-neighbour member's index rows, shown as the explanation. */
  neighbours: PerTask(z.string().min(1)).optional(),
});
export type MemberSpec = z.infer<typeof MemberSchema>;

const PoolBase = z.object({
  members: z.array(z.string()).min(1),
  weights: z.array(z.number().nonnegative()),
  bias: z.array(z.number()),
  fallbackThreshold: z.number().min(0).max(1),
});
/**
 * The pool; the one fitted without the encoder members and without the static ones, served where
 * models/encoder is absent; and the cascade's cheap pool (every member but the encoder ones): where
 * its confidence for the task is below `escalateBelow`, the full pool decides.
 */
const PoolSchema = PoolBase.extend({
  withoutEncoder: PoolBase.optional(),
  cascade: PoolBase.extend({ escalateBelow: z.number().min(0).max(1) }).optional(),
});
export type PoolSpec = z.infer<typeof PoolBase>;
export type CascadeSpec = NonNullable<z.infer<typeof PoolSchema>['cascade']>;

const EncoderSpecSchema = z.object({
  version: z.string().min(1),
  dim: z.number().int().positive(),
  conceptsSha256: z.string(),
  /** Width of the encoder feature vector: the embedding plus one concept cosine per class. */
  features: z.number().int().positive(),
});
export type EncoderSpec = z.infer<typeof EncoderSpecSchema>;

/** The static table (models/encoder/static) the static members were trained with. */
const StaticSpecSchema = z.object({ version: z.string().min(1), dim: z.number().int().positive() });

export const ManifestSchema = z.object({
  version: z.string().min(1),
  createdAt: z.string(),
  classes: PerTask(z.array(z.string())),
  denseFeatures: z.array(z.string()),
  members: z.array(MemberSchema).min(1),
  encoder: EncoderSpecSchema.nullable(),
  static: StaticSpecSchema.nullable().default(null),
  /** sha256 of every config file the model was trained with (MODEL_CONFIG_FILES). */
  config: z.record(z.string(), z.string()),
  ensemble: PerTask(PoolSchema),
  training: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/**
 * Reads and checks `dir/manifest.json` against this code and `config` (the tables the model will
 * be served with); every problem is an error naming what disagrees.
 */
export function loadManifest(dir: string, config: KeywordConfig): Manifest {
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
  const problems = manifestProblems(manifest, dir, config);
  if (problems.length > 0) throw new Error(`${path} does not match this code: ${problems.join('; ')}`);
  return manifest;
}

function manifestProblems(m: Manifest, dir: string, config: KeywordConfig): string[] {
  const problems: string[] = [];
  for (const task of TASKS) {
    if (JSON.stringify(m.classes[task]) !== JSON.stringify(CLASSES[task])) problems.push(`classes.${task} differ from src/domain/labels.ts`);
    const pool = m.ensemble[task];
    for (const p of [pool, pool.withoutEncoder, pool.cascade]) {
      if (!p) continue;
      if (p.weights.length !== p.members.length) problems.push(`ensemble.${task}: ${p.weights.length} weights for ${p.members.length} members`);
      if (p.bias.length !== CLASSES[task].length) problems.push(`ensemble.${task}: bias has ${p.bias.length} entries, not ${CLASSES[task].length}`);
      for (const name of p.members) if (!m.members.some((x) => x.name === name)) problems.push(`ensemble.${task} names unknown member ${name}`);
    }
    const input = (name: string) => m.members.find((x) => x.name === name)?.input;
    const readsEncoder = (name: string) => input(name) === 'encoder';
    if (pool.withoutEncoder?.members.some((name) => readsEncoder(name) || input(name) === 'static')) {
      problems.push(`ensemble.${task}.withoutEncoder uses an encoder or static member`);
    }
    if (pool.cascade?.members.some(readsEncoder)) problems.push(`ensemble.${task}.cascade uses an encoder member`);
    if (pool.members.some(readsEncoder) && !m.encoder) problems.push(`ensemble.${task} uses encoder members but the manifest names no encoder`);
    if (pool.members.some((name) => input(name) === 'static') && !m.static) problems.push(`ensemble.${task} uses static members but the manifest names no static table`);
  }
  if (JSON.stringify(m.denseFeatures) !== JSON.stringify(DENSE_FEATURES)) {
    problems.push('denseFeatures differ from src/features/title-features.ts (retrain with npm run train)');
  }
  // A rule edited after training changes the features and the fallback the model was fitted and
  // evaluated with, under the same version: refused, as a changed feature layout is.
  const current = configDigests(config);
  for (const file of MODEL_CONFIG_FILES) {
    if (m.config[file] !== current[file]) {
      problems.push(`config/${file} ${m.config[file] ? 'differs from the one the model was trained with' : 'is not pinned by the manifest'} (retrain with npm run train, or restore the file)`);
    }
  }
  for (const member of m.members) {
    if (member.input === 'ngrams' && !member.vocabulary) problems.push(`member ${member.name} reads n-grams but names no vocabulary`);
    for (const file of [...Object.values(member.files), ...(member.vocabulary ? [member.vocabulary] : []), ...Object.values(member.neighbours ?? {})]) {
      if (!existsSync(join(dir, file))) problems.push(`member ${member.name}: ${file} is missing`);
    }
  }
  return problems;
}
