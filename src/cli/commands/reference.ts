import type { Command } from 'commander';
import type { ReferenceDistribution } from '../../store/reference-distribution.ts';
import { TASKS } from '../../domain/labels.ts';
import { classifierSource, driftSettings, formatTable, withDatabase } from '../context.ts';
import { formatPercent as percent } from '../../server/format.ts';

export function registerReference(program: Command): void {
  program
    .command('reference')
    .description(
      'store the reference (training) class distribution that drift is measured against: from annotated CVs (--cvs) or from the model manifest',
    )
    .option('--cvs <file>', 'annotated CVs whose labels give the distribution (e.g. the dev CVs the model trained on)')
    .option('-m, --model <version>', 'model version it is the reference of (default: the shipped model)')
    .action(async (opts: { cvs?: string; model?: string }) => {
      const { refreshDriftStats } = await import('../../store/distribution-stats.ts');
      const { classifierManifest, referenceFromAnnotated, referenceFromManifest, storeReferenceDistribution } = await import(
        '../../store/reference-distribution.ts'
      );
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { readAnnotated } = await import('./evaluate.ts');
      const classifier = opts.model && opts.cvs ? null : await loadClassifier(classifierSource());
      const version = opts.model ?? classifier!.modelVersion;
      let reference: ReferenceDistribution | null;
      let source: string;
      if (opts.cvs) {
        reference = referenceFromAnnotated(await readAnnotated(opts.cvs));
        source = `cvs:${opts.cvs}`;
      } else {
        reference = referenceFromManifest(classifier ? classifierManifest(classifier) : null);
        source = 'manifest';
        if (!reference) throw new Error(`the manifest of ${version} has no training.classDistribution: pass --cvs FILE (annotated CVs)`);
      }
      await withDatabase(async ({ db }) => {
        await storeReferenceDistribution(db, version, reference, source);
        // Drift is part of the statistics: recompute them now rather than at the next refresh.
        await refreshDriftStats(db, version, driftSettings());
      });
      process.stdout.write(`reference distribution of ${version} stored (from ${source}) and its drift statistics refreshed\n`);
      for (const task of TASKS) {
        const shares = reference[task];
        if (shares) process.stdout.write(`${formatTable([task, 'share'], Object.entries(shares).map(([label, s]) => [label, percent(s)]))}\n`);
      }
    });
}
