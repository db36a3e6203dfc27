/** Keeps a long-running process alive through a Postgres outage. */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from './db.ts';

/**
 * node-postgres emits 'error' when a connection dies (server restart, network cut): on the pool
 * for an idle client, and on the client itself for one checked out (a transaction in progress).
 * With no listener either event kills the process. A worker should instead let the query fail,
 * the job retry, and carry on once the server is back: so log both. The pool already drops the
 * broken clients. (PGlite has no pool: nothing to do.)
 */
export function survivePoolErrors(db: Db, log: Logger): void {
  const pool = (db as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool)) return;
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle Postgres connection lost'));
  const guarded = new WeakSet<pg.PoolClient>();
  // 'acquire' fires on every checkout, also of clients opened before this call: guard each once.
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', (err) => log.warn({ err: err.message }, 'Postgres connection lost during a query'));
  });
}
