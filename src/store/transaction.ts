/**
 * One transaction on one pooled connection that is always given back, whatever fails: every
 * transaction of the product opens here. Called with a transaction, it opens a savepoint in it.
 *
 * drizzle-orm's node-postgres `db.transaction` checks a client out of the pool and sends BEGIN
 * before its try/finally: when BEGIN fails (a connection that died while idle in the pool, as in a
 * Postgres restart), the client is never released. A long-running worker loses one of its few
 * pooled connections per such failure and, after a Postgres outage, hangs forever waiting for a
 * free one. This helper checks the client out itself and releases it in every case, destroying
 * it when the transaction failed (it may be broken). On PGlite there is no pool: plain transaction.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Db } from './db.ts';
import * as schema from './schema.ts';

export async function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const pool = (db as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool)) return db.transaction((tx) => work(tx));
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    // A drizzle instance over the single client: its transaction runs BEGIN/COMMIT on this client
    // and never touches the pool.
    const single = drizzle(client, { schema }) as unknown as Db;
    return await single.transaction((tx) => work(tx));
  } catch (err) {
    failure = err as Error;
    throw err;
  } finally {
    client.release(failure);
  }
}
