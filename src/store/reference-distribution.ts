/**
 * The reference (training) class distribution of a model version: what drift is measured against.
 *
 * Where it comes from, in order of preference:
 *   1. the model manifest's `training.classDistribution` ({seniority: {label: count or share}, department: {…}}),
 *      written by training when it records what the model was fitted on;
 *   2. the labels of an annotated CV file (`cv-pipeline reference --cvs FILE`): the dev CVs are the
 *      in-domain part of the shipped model's training data, and the only part whose balance
 *      resembles real CVs (the title CSVs have no Professional at all).
 * A reference set explicitly (2) is never overwritten by (1).
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { CLASSES, TASKS, type Task } from '../domain/labels.ts';
import type { AnnotatedPosition } from '../domain/profile.ts';
import type { Db } from './db.ts';
import { queryRows } from './db.ts';
import { referenceDistributions } from './schema.ts';
import { inTransaction } from './transaction.ts';

/** Shares per class, over the full class list of the task (absent classes are 0). */
export type Distribution = Record<string, number>;
export type ReferenceDistribution = Partial<Record<Task, Distribution>>;

const Counts = z.record(z.string(), z.number().nonnegative());
const ManifestWithDistribution = z.object({
  training: z.object({ classDistribution: z.object({ seniority: Counts.optional(), department: Counts.optional() }) }),
});

/** Counts or shares → shares over every class of `task`; an unknown label or an empty total is an error. */
export function toShares(task: Task, counts: Readonly<Record<string, number>>): Distribution {
  const classes: readonly string[] = CLASSES[task];
  const unknown = Object.keys(counts).filter((label) => !classes.includes(label));
  if (unknown.length > 0) throw new Error(`${task}: unknown classes ${unknown.join(', ')}`);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error(`${task}: the distribution is empty`);
  return Object.fromEntries(classes.map((label) => [label, (counts[label] ?? 0) / total]));
}

/** The manifest's `training.classDistribution`, or null when the manifest does not carry one. */
export function referenceFromManifest(manifest: unknown): ReferenceDistribution | null {
  const parsed = ManifestWithDistribution.safeParse(manifest);
  if (!parsed.success) return null;
  const out: ReferenceDistribution = {};
  for (const task of TASKS) {
    const counts = parsed.data.training.classDistribution[task];
    if (counts) out[task] = toShares(task, counts);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** Label shares of annotated CVs (every position counts once). */
export function referenceFromAnnotated(profiles: readonly (readonly AnnotatedPosition[])[]): ReferenceDistribution {
  const out: ReferenceDistribution = {};
  for (const task of TASKS) {
    const counts: Record<string, number> = {};
    for (const profile of profiles) for (const p of profile) counts[p[task]] = (counts[p[task]] ?? 0) + 1;
    out[task] = toShares(task, counts);
  }
  return out;
}

/** Replaces the reference of `modelVersion` for every task in `reference`. */
export async function storeReferenceDistribution(db: Db, modelVersion: string, reference: ReferenceDistribution, source: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    for (const task of TASKS) {
      const shares = reference[task];
      if (!shares) continue;
      await tx.delete(referenceDistributions).where(and(eq(referenceDistributions.modelVersion, modelVersion), eq(referenceDistributions.task, task)));
      // An upsert, not a plain insert: processes starting together on a fresh database (two workers
      // registering the model) store the same reference at once, and the second must not fail.
      await tx
        .insert(referenceDistributions)
        .values(Object.entries(shares).map(([label, share]) => ({ modelVersion, task, label, share, source })))
        .onConflictDoUpdate({
          target: [referenceDistributions.modelVersion, referenceDistributions.task, referenceDistributions.label],
          set: { share: sql`excluded.share`, source: sql`excluded.source` },
        });
    }
  });
}

/**
 * Stores the manifest's distribution for the tasks of `modelVersion` that have no reference yet;
 * returns the tasks it filled.
 */
export async function fillReferenceFromManifest(db: Db, modelVersion: string, manifest: unknown): Promise<Task[]> {
  const reference = referenceFromManifest(manifest);
  if (!reference) return [];
  const present = await queryRows<{ task: string }>(
    db,
    sql`select distinct task from reference_distributions where model_version = ${modelVersion}`,
  );
  const missing = TASKS.filter((t) => reference[t] && !present.some((p) => p.task === t));
  if (missing.length === 0) return [];
  await storeReferenceDistribution(db, modelVersion, Object.fromEntries(missing.map((t) => [t, reference[t]])), 'manifest');
  return missing;
}

/** The classifier's manifest when it has one (the ensemble does; the keyword rules do not). */
export function classifierManifest(classifier: object): unknown {
  return 'manifest' in classifier ? classifier.manifest : null;
}
