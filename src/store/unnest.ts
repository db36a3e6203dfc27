/** Bulk INSERT … SELECT FROM unnest: how the store writes many rows in one statement. */
import { type SQL, sql } from 'drizzle-orm';

export type UnnestColumn = [name: string, type: 'text' | 'int' | 'bigint' | 'real' | 'float8' | 'jsonb', values: readonly unknown[]];

/**
 * INSERT … SELECT FROM unnest(one array per column). One bind parameter per column rather than
 * per value: the streaming benchmark measured this at about twice the rows/s of multi-row VALUES,
 * with no statement-size limit. jsonb travels as text and is cast row by row. Table and column
 * names are the store's constants, never input.
 */
export function unnestInsert(table: string, columns: UnnestColumn[], conflict: string): SQL {
  const arrays = sql.join(
    columns.map(([, type, values]) =>
      type === 'jsonb'
        ? sql`${sql.param(values.map((v) => JSON.stringify(v)))}::text[]`
        : sql`${sql.param(values)}::${sql.raw(type)}[]`,
    ),
    sql`, `,
  );
  const names = columns.map(([name]) => name).join(', ');
  const aliases = columns.map((_, i) => `c${i}`).join(', ');
  const select = columns.map(([, type], i) => (type === 'jsonb' ? `c${i}::jsonb` : `c${i}`)).join(', ');
  return sql`insert into ${sql.raw(table)} (${sql.raw(names)}) select ${sql.raw(select)} from unnest(${arrays}) as t(${sql.raw(aliases)}) ${sql.raw(conflict)}`;
}

/** `on conflict (keys) do update` setting `updated` from the new row and `touched` to now(). */
export function upsert(keys: string[], updated: string[], touched: string): string {
  const set = [...updated.map((c) => `${c} = excluded.${c}`), `${touched} = now()`].join(', ');
  return `on conflict (${keys.join(', ')}) do update set ${set}`;
}
