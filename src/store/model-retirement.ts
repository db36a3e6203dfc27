/**
 * Retiring a model version: predictions and career features are partitioned by version
 * (migration 0016), so removing one is a DETACH and a DROP of its partitions, not a DELETE of
 * millions of rows.
 */
import { sql } from 'drizzle-orm';
import { type Db, queryRows } from './db.ts';
import { deleteStatistics } from './statistics.ts';
import { inTransaction } from './transaction.ts';

/** What the version `mv` scored, from its counters: `positions` and `profiles` columns. */
const scored = sql.raw(`coalesce((select sum(n) from stat_class_counts c
                                  where c.model_version = mv.version and c.task = 'seniority' and c.scope = 'overall'), 0)::int as positions,
                        coalesce((select profiles from stat_career_counts k where k.model_version = mv.version), 0)::int as profiles`);

export interface RetiredVersion {
  version: string;
  /** Positions and profiles it had scored, from its counters. */
  positions: number;
  profiles: number;
}

/**
 * Removes a model version and everything stored for it, in one transaction: its partitions of
 * predictions and career features are detached and dropped (no row-by-row DELETE, whatever their
 * size), then its counters, drift and reference rows and the model_versions row go. Refused while
 * a backfill run writes it or reads from it. Workers still scoring with it would fail to store
 * (their version has no partition any more), so stop them first.
 */
export async function retireModelVersion(db: Db, version: string): Promise<RetiredVersion> {
  return inTransaction(db, async (tx) => {
    const [known] = await queryRows<{ positions: number; profiles: number }>(
      tx,
      sql`select ${scored} from model_versions mv where mv.version = ${version}`,
    );
    if (!known) throw new Error(`no model version ${version} is registered`);
    const runs = await queryRows<{ id: number }>(
      tx,
      sql`select id from backfill_runs where status = 'running'
          and (target_model_version = ${version} or source_model_version = ${version})`,
    );
    if (runs.length > 0) throw new Error(`backfill run ${runs.map((r) => r.id).join(', ')} still uses ${version}: let it finish first`);
    for (const parent of ['predictions', 'career_features']) {
      const [part] = await queryRows<{ name: string | null }>(
        tx,
        sql`select to_regclass(quote_ident(cv_version_partition_name(${parent}, ${version})))::text as name`,
      );
      if (part?.name) {
        await tx.execute(sql.raw(`alter table ${parent} detach partition ${part.name}`));
        await tx.execute(sql.raw(`drop table ${part.name}`));
      }
    }
    await deleteStatistics(tx, version);
    await tx.execute(sql`delete from drift_stats where model_version = ${version}`);
    await tx.execute(sql`delete from reference_distributions where model_version = ${version}`);
    await tx.execute(sql`delete from model_versions where version = ${version}`);
    return { version, ...known };
  });
}

export interface StoredVersion {
  version: string;
  kind: string;
  registeredAt: string;
  positions: number;
  profiles: number;
  /** Disk taken by its partitions of predictions and career features, indexes included. */
  bytes: number;
}

/** Every registered version, newest first, with what it scored (from its counters) and its partitions' size. */
export async function listStoredVersions(db: Db): Promise<StoredVersion[]> {
  return queryRows<StoredVersion>(
    db,
    sql`select mv.version, mv.kind, to_char(mv.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "registeredAt",
               ${scored},
               (coalesce(pg_total_relation_size(to_regclass(quote_ident(cv_version_partition_name('predictions', mv.version)))), 0)
                + coalesce(pg_total_relation_size(to_regclass(quote_ident(cv_version_partition_name('career_features', mv.version)))), 0))::float8 as bytes
        from model_versions mv
        order by mv.created_at desc, mv.version desc`,
  );
}
