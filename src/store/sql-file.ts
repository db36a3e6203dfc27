/**
 * SQL kept as `.sql` files under `sql/`, read once and run with named parameters (`:name`) bound
 * as query parameters, never spliced into the text.
 */
import { readFileSync } from 'node:fs';
import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from './db.ts';

export const SQL_DIR = new URL('../../sql/', import.meta.url);

/** The statements of a file, whole-line `--` comments removed; each statement ends with `;` at a line end. */
export function readStatements(relativePath: string): string[] {
  return splitStatements(readFileSync(new URL(relativePath, SQL_DIR), 'utf8'));
}

export function splitStatements(text: string): string[] {
  return text
    .replace(/^\s*--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

// `::` casts must survive, so a parameter is a ':' not preceded by another ':'.
const PARAMETER = /(?<!:):([a-z_][a-z0-9_]*)/g;

/** Names of the `:name` parameters a statement uses. */
export function parameterNames(statement: string): string[] {
  return [...new Set([...statement.matchAll(PARAMETER)].map((m) => m[1]!))];
}

/**
 * Binds every `:name` of `statement` to `params[name]`; a name without a value is an error, so a
 * typo in a query fails loudly instead of comparing against NULL.
 */
export function bindParameters(statement: string, params: Readonly<Record<string, unknown>>): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  for (const match of statement.matchAll(PARAMETER)) {
    const name = match[1]!;
    if (!(name in params)) throw new Error(`SQL parameter :${name} has no value`);
    // One parameter whatever the value: an array binds as a Postgres array, not as a list.
    chunks.push(sql.raw(statement.slice(last, match.index)), sql`${sql.param(params[name])}`);
    last = match.index + match[0].length;
  }
  chunks.push(sql.raw(statement.slice(last)));
  return sql.join(chunks);
}

const statements = new Map<string, string>();

/**
 * Runs the one statement of `sql/<relativePath>` with its `:name` parameters bound; the file is read
 * once per process.
 */
export async function queryFile<T>(db: Db, relativePath: string, params: Readonly<Record<string, unknown>> = {}): Promise<T[]> {
  let statement = statements.get(relativePath);
  if (statement === undefined) {
    const found = readStatements(relativePath);
    if (found.length !== 1) throw new Error(`sql/${relativePath} must hold exactly one statement, not ${found.length}`);
    statement = found[0]!;
    statements.set(relativePath, statement);
  }
  return queryRows<T>(db, bindParameters(statement, params));
}
