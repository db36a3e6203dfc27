/**
 * Opens the database: a Postgres server when a URL is given, otherwise embedded PGlite (in-process
 * Postgres) in a folder. Both get the same schema and the same migrations.
 */
import { organizationKey } from '../text/organization.ts';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { CLASSES, TASKS } from '../domain/labels.ts';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.ts';
import { rebuildStatistics } from './statistics.ts';
import { inTransaction } from './transaction.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /** `postgres` or `pglite`, for messages. */
  kind: 'postgres' | 'pglite';
  /** Where it lives, without credentials. */
  location: string;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface DatabaseOptions {
  url?: string | undefined;
  /** PGlite folder; `memory://` for a throwaway in-memory database. */
  pgliteDir?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url);
  return openPglite(options.pgliteDir ?? '.data/pglite');
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // Fail at open, not at the first write, when the server is unreachable or the URL is wrong.
  await pool.query('select 1').catch(async (err: Error) => {
    await pool.end();
    throw new Error(`cannot connect to Postgres at ${redact(url)}: ${err.message}`);
  });
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    location: redact(url),
    migrate: async () => {
      await migratePg(drizzlePg(pool), { migrationsFolder: MIGRATIONS });
      await afterMigrations(db);
    },
    close: () => pool.end(),
  };
}

async function openPglite(dir: string): Promise<Database> {
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    location: dir,
    migrate: async () => {
      await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS });
      await afterMigrations(db);
    },
    close: () => client.close(),
  };
}

/** What the migrations cannot do in SQL alone: the label table, and counters for rows stored before them. */
async function afterMigrations(db: Db): Promise<void> {
  await writeLabels(db);
  await fillOrganizationKeys(db);
  // A database from before the statistics counters (migrations 0008, 0012, 0017), or whose counters
  // a migration emptied because their rule changed (0019), gets them computed once. (Agreement
  // counts are legitimately empty with one version, so they are not asked about.)
  const [missing] = await queryRows<{ yes: boolean }>(
    db,
    sql`select exists (select 1 from career_features)
        and not (exists (select 1 from stat_career_counts) and exists (select 1 from stat_scope_totals)
                 and exists (select 1 from stat_lead_counts)) as yes`,
  );
  if (missing?.yes) await inTransaction(db, (tx) => rebuildStatistics(tx, null));
}

/**
 * Positions stored before the organization key (migration 0022) get it, computed here because the
 * rule is code (text/organization.ts): once per distinct organization name, before the counters
 * that group by it are rebuilt.
 */
async function fillOrganizationKeys(db: Db): Promise<void> {
  const names = await queryRows<{ organization: string }>(
    db,
    sql`select distinct organization from positions where organization is not null and organization_key is null`,
  );
  for (let i = 0; i < names.length; i += 5000) {
    const chunk = names.slice(i, i + 5000).map((r) => r.organization);
    await db.execute(sql`
      update positions p set organization_key = k.key
      from unnest(${sql.param(chunk)}::text[], ${sql.param(chunk.map(organizationKey))}::text[]) as k(name, key)
      where p.organization = k.name and p.organization_key is null`);
  }
}

/** The classes of domain/labels.ts with their order, for SQL to sort by (an upsert: workers migrate concurrently). */
async function writeLabels(db: Db): Promise<void> {
  const rows = TASKS.flatMap((task) => CLASSES[task].map((label, i) => ({ task, label, ordinal: i + 1 })));
  await db
    .insert(schema.labels)
    .values(rows)
    .onConflictDoUpdate({ target: [schema.labels.task, schema.labels.label], set: { ordinal: sql`excluded.ordinal` } });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Runs a raw SQL query and returns its rows, the same way on PGlite and on node-postgres. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
