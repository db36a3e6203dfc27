/**
 * A worker survives Postgres outages only if a failed transaction gives its pooled connection
 * back. The dangerous case is a BEGIN that fails on a connection that died while idle in the pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { inTransaction } from '../../src/store/transaction.ts';
import { survivePoolErrors } from '../../src/store/pool-errors.ts';
import { logger } from '../../src/logger.ts';
import { type Database, openDatabase, queryRows } from '../../src/store/db.ts';
import { type FreshDatabase, freshDatabase, servicesMissing, waitFor } from './services.ts';
import { TcpProxy } from './tcp-proxy.ts';

describe.skipIf(servicesMissing)('a transaction on a pooled connection', () => {
  let fresh: FreshDatabase;
  let proxy: TcpProxy;
  let database: Database;
  beforeAll(async () => {
    fresh = await freshDatabase();
    const url = new URL(fresh.url);
    proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.open();
    url.port = String(proxy.port);
    database = await openDatabase({ url: url.toString() });
    survivePoolErrors(database.db, logger); // as the worker does: a cut connection is not a crash
  });
  afterAll(async () => {
    await database?.close();
    await proxy?.close();
    await fresh?.dispose();
  });

  it('gives its connection back when BEGIN fails on a connection cut under it', async () => {
    const pool = (database.db as unknown as { $client: pg.Pool }).$client;
    expect(pool.totalCount).toBe(1); // openDatabase's check left one idle connection
    proxy.pause();
    const attempt = inTransaction(database.db, (tx) => tx.execute(sql`select 1`));
    await waitFor('the idle connection checked out for BEGIN', async () => pool.idleCount === 0);
    await proxy.close(); // BEGIN was in flight: its connection dies
    await expect(attempt).rejects.toThrow(/Failed query: begin/);
    expect(pool.totalCount).toBe(0); // released and dropped, not leaked

    await proxy.reopen();
    const rows = await inTransaction(database.db, (tx) => queryRows(tx, sql`select 41 + 1 as answer`));
    expect(rows).toEqual([{ answer: 42 }]);
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount).toBe(1);
  });

  it('rolls back everything when the work fails', async () => {
    await database.db.execute(sql`create table if not exists tx_probe (n int)`);
    await expect(
      inTransaction(database.db, async (tx) => {
        await tx.execute(sql`insert into tx_probe values (1)`);
        throw new Error('midway');
      }),
    ).rejects.toThrow('midway');
    expect(await queryRows(database.db, sql`select count(*)::int as n from tx_probe`)).toEqual([{ n: 0 }]);
  });
});
