/**
 * The named analytics queries of `sql/analytics/`: one SELECT per file, documented by the comment
 * lines at its top, run by `cv-pipeline analytics NAME`.
 *
 * Each runs in a READ ONLY transaction, and as the read-only role cv_analytics whenever the
 * connected user may assume it: a query that tried to write would fail either way, and running
 * under the role proves the grants an analyst gets are enough for every shipped query.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../store/db.ts';
import { SQL_DIR, bindParameters, parameterNames, splitStatements } from '../store/sql-file.ts';
import { inTransaction } from '../store/transaction.ts';

const QUERY_DIR = new URL('analytics/', SQL_DIR);
export const ANALYTICS_ROLE = 'cv_analytics';

export interface NamedQuery {
  name: string;
  /** The leading comment lines, joined. */
  description: string;
  statement: string;
  parameters: string[];
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** Every named query, sorted by name. */
export function listNamedQueries(): NamedQuery[] {
  return readdirSync(QUERY_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => parseQueryFile(file.slice(0, -'.sql'.length), readFileSync(new URL(file, QUERY_DIR), 'utf8')));
}

export function parseQueryFile(name: string, text: string): NamedQuery {
  const header: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('--')) break;
    header.push(line.replace(/^--\s?/, ''));
  }
  const statements = splitStatements(text);
  if (statements.length !== 1) throw new Error(`sql/analytics/${name}.sql must hold exactly one statement, not ${statements.length}`);
  const statement = statements[0]!;
  return { name, description: header.join(' ').trim(), statement, parameters: parameterNames(statement) };
}

/** Looks a query up by name; an unknown name is an error that lists the known ones. */
export function findNamedQuery(name: string): NamedQuery {
  const all = listNamedQueries();
  const found = all.find((q) => q.name === name);
  if (!found) throw new Error(`no analytics query named '${name}'; known: ${all.map((q) => q.name).join(', ')}`);
  return found;
}

export interface QueryParameters {
  /** null: the newest model version that has statistics. */
  modelVersion?: string | null;
}

export async function runNamedQuery(db: Db, query: NamedQuery, params: QueryParameters = {}): Promise<QueryResult> {
  const bound = bindParameters(query.statement, { model_version: params.modelVersion ?? null });
  return runReadOnly(db, bound).catch((err: Error) => {
    // drizzle wraps the database's error in "Failed query: <the whole SQL>"; the reason is the cause.
    const reason = err.cause instanceof Error ? err.cause.message : err.message;
    throw new Error(`analytics query ${query.name} failed: ${reason}`, { cause: err });
  });
}

async function runReadOnly(db: Db, bound: SQL): Promise<QueryResult> {
  return inTransaction(db, async (tx) => {
    await tx.execute(sql`set transaction read only`);
    await tx.execute(sql`
      select set_config('role', ${ANALYTICS_ROLE}, true)
      where exists (select 1 from pg_roles where rolname = ${ANALYTICS_ROLE})
        and pg_has_role(current_user, ${ANALYTICS_ROLE}, 'usage')`);
    const result = (await tx.execute(bound)) as unknown as { rows: Record<string, unknown>[]; fields: { name: string }[] };
    return { columns: result.fields.map((f) => f.name), rows: result.rows };
  });
}
