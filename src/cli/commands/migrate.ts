import type { Command } from 'commander';
import { withDatabase } from '../context.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply the migrations in migrations/ to the database (DATABASE_URL, or embedded PGlite in PGLITE_DIR)')
    .action(async () => {
      await withDatabase(async (database) => {
        process.stdout.write(`migrations applied to ${database.kind} at ${database.location}\n`);
      });
    });
}
