import type { Command } from 'commander';
import type { QueryResult } from '../../reporting/named-queries.ts';
import { formatTable, openReadDatabase, printJson, withDatabase } from '../context.ts';

export function registerAnalytics(program: Command): void {
  program
    .command('analytics')
    .argument('[name]', 'the query to run (sql/analytics/NAME.sql); without it, list the queries')
    .description('run a named SQL analytics query read-only and print its result as a table')
    .option('-m, --model <version>', 'model version to report on (default: the newest with statistics)')
    .option('--json', 'print the rows as one JSON object')
    .action(async (name: string | undefined, opts: { model?: string; json?: boolean }) => {
      const { findNamedQuery, listNamedQueries, runNamedQuery } = await import('../../reporting/named-queries.ts');
      if (!name) {
        const queries = listNamedQueries();
        if (opts.json) printJson(queries.map(({ name: n, description }) => ({ name: n, description })));
        else process.stdout.write(`${formatTable(['query', 'what it shows'], queries.map((q) => [q.name, q.description]), ['left', 'left'])}\n`);
        return;
      }
      const query = findNamedQuery(name);
      const result = await withDatabase(({ db }) => runNamedQuery(db, query, { modelVersion: opts.model ?? null }), openReadDatabase);
      if (opts.json) printJson({ query: query.name, ...result });
      else process.stdout.write(renderResult(result));
    });
}

function renderResult(result: QueryResult): string {
  if (result.rows.length === 0) return `(no rows: has anything been scored? \`cv-pipeline run --input FILE\`)\n`;
  const rows = result.rows.map((row) => result.columns.map((c) => formatCell(row[c])));
  return `${formatTable(result.columns, rows)}\n(${result.rows.length} rows)\n`;
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
