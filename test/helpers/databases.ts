/**
 * The databases every storage test runs against: embedded PGlite always, and a real Postgres
 * server when TEST_DATABASE_URL is set (always in CI, where its absence is an error). Each test
 * file gets a fresh database of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/store/db.ts';

export interface TestDatabaseKind {
  name: 'pglite' | 'postgres';
  /**
   * Opens a fresh database, migrated unless `migrated` is false; `dispose` closes and drops it.
   * `url`: the server database's URL (postgres only).
   */
  open(migrated?: boolean): Promise<{ database: Database; url?: string; dispose(): Promise<void> }>;
}

const serverUrl = process.env.TEST_DATABASE_URL;
if (!serverUrl && process.env.CI === 'true') {
  throw new Error('TEST_DATABASE_URL must be set in CI: the Postgres integration tests are mandatory there');
}

const pglite: TestDatabaseKind = {
  name: 'pglite',
  async open(migrated = true) {
    const database = await openDatabase({ pgliteDir: 'memory://' });
    if (migrated) await database.migrate();
    return { database, dispose: () => database.close() };
  },
};

const postgres: TestDatabaseKind = {
  name: 'postgres',
  async open(migrated = true) {
    const admin = new URL(serverUrl!);
    const name = `cv_test_${randomBytes(6).toString('hex')}`;
    const adminClient = new pg.Client({ connectionString: admin.toString() });
    await adminClient.connect();
    await adminClient.query(`CREATE DATABASE ${name}`);
    await adminClient.end();
    const url = new URL(admin.toString());
    url.pathname = `/${name}`;
    const database = await openDatabase({ url: url.toString() });
    if (migrated) await database.migrate();
    return {
      database,
      url: url.toString(),
      async dispose() {
        await database.close();
        const c = new pg.Client({ connectionString: admin.toString() });
        await c.connect();
        // The pool's end() resolves before its sockets close; a forced drop meanwhile kills them, and a
        // closing client has no error listener left (an uncaught error in the test run). So wait for them
        // (and for other processes of the test, e.g. a killed CLI's) up to 5 s, then force.
        for (let i = 0; i < 50; i++) {
          const { rows } = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
          if (rows[0].n === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  },
};

export const testDatabaseKinds: TestDatabaseKind[] = serverUrl ? [pglite, postgres] : [pglite];
