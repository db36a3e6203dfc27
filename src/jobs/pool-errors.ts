/** Keeps a long-running process alive through a Postgres outage. */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';

/**
 * node-postgres emits 'error' on its pool when an idle connection dies (server restart, network
 * cut); with no listener that event kills the process. A worker should instead let the failing
 * jobs retry and carry on once the server is back, so log it. (PGlite has no pool: nothing to do.)
 */
export function survivePoolErrors(db: Db, log: Logger): void {
  const client = (db as { $client?: unknown }).$client;
  if (client instanceof pg.Pool) client.on('error', (err) => log.warn({ err: err.message }, 'idle Postgres connection lost'));
}
