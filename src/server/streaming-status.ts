/**
 * Where the stream stands, for operators (/readyz `streaming`, /metrics `cv_pipeline_stream_*`):
 * per partition of the topic, Kafka's log end and the group's committed offset (their difference,
 * the lag, is everything not yet stored in Postgres: the consumer commits only stored ranges), and
 * what the consumers last reported (`consumer_partitions`): ranges queued but not yet stored, and
 * the age of the oldest of them. `cv-pipeline verify` does the full reconciliation.
 */
import type { Db } from '../store/db.ts';
import { readPartitionReports } from '../store/offset-ledger.ts';
import { probeAdmin } from './health.ts';

export interface StreamingStatus {
  topic: string;
  groupId: string;
  /** Messages behind the committed offsets (all partitions). */
  lag: number;
  /** Ranges enqueued in Redis whose rows Postgres does not hold yet (as the consumers last reported). */
  unstoredRanges: number;
  /** Age of the oldest message enqueued but not yet stored; null when nothing waits. */
  oldestUnstoredAgeSeconds: number | null;
  partitions: { partition: number; logEnd: number; committed: number | null; lag: number; unstoredRanges: number; reportedAt: string | null }[];
}

export type StreamingProbe = () => Promise<StreamingStatus>;

export function streamingProbe(options: { brokers: string[]; topic: string; groupId: string; db: Db }): StreamingProbe {
  return async () => {
    // Two quick retries: fetching the group's offsets looks its coordinator up first.
    const admin = probeAdmin(options.brokers, 'cv-pipeline-streaming-status', 2);
    try {
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(options.topic);
      const offsets = await admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] });
      const reports = await readPartitionReports(options.db, options.groupId, options.topic);
      const committed = new Map((offsets[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      const reported = new Map(reports.map((r) => [r.partition, r]));
      const partitions = ends
        .map((e) => {
          const c = committed.get(e.partition);
          const start = c === undefined || c < 0 ? Number(e.low) : c;
          const report = reported.get(e.partition);
          return {
            partition: e.partition,
            logEnd: Number(e.high),
            committed: c === undefined || c < 0 ? null : c,
            lag: Number(e.high) - start,
            unstoredRanges: report?.unstoredRanges ?? 0,
            reportedAt: report?.updatedAt.toISOString() ?? null,
          };
        })
        .sort((a, b) => a.partition - b.partition);
      const oldest = reports.map((r) => r.oldestUnstoredAt?.getTime()).filter((t): t is number => t !== undefined);
      return {
        topic: options.topic,
        groupId: options.groupId,
        lag: partitions.reduce((n, p) => n + p.lag, 0),
        unstoredRanges: partitions.reduce((n, p) => n + p.unstoredRanges, 0),
        oldestUnstoredAgeSeconds: oldest.length > 0 ? Math.max(0, (Date.now() - Math.min(...oldest)) / 1000) : null,
        partitions,
      };
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
}
