import type { Command } from 'commander';
import { formatTable, printJson, withDatabase } from '../context.ts';

export function registerModels(program: Command): void {
  const models = program.command('models').description('the model versions stored in the database');
  models
    .command('list', { isDefault: true })
    .description('every registered model version, newest first: positions and profiles it scored, disk taken by its partitions')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { listStoredVersions } = await import('../../store/model-retirement.ts');
      const versions = await withDatabase(({ db }) => listStoredVersions(db));
      if (opts.json) return printJson(versions);
      const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      process.stdout.write(
        `${formatTable(['version', 'kind', 'registered', 'positions', 'profiles', 'MB'],
          versions.map((v) => [v.version, v.kind, v.registeredAt, v.positions, v.profiles, mb(v.bytes)]), ['left', 'left', 'left'])}\n`,
      );
    });
  models
    .command('retire <version>')
    .description('delete a model version with its predictions, career features and statistics (its partitions are dropped whole); stop the workers scoring with it first')
    .option('--json', 'print as JSON')
    .action(async (version: string, opts: { json?: boolean }) => {
      const { retireModelVersion } = await import('../../store/model-retirement.ts');
      const retired = await withDatabase(({ db }) => retireModelVersion(db, version));
      if (opts.json) printJson(retired);
      else process.stdout.write(`retired ${retired.version}: ${retired.positions} positions, ${retired.profiles} profiles dropped\n`);
    });
}
