/** What /readyz and /metrics report of the stream: lag from Kafka, backlog from the consumers' reports. */
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticMessages } from '../../src/ingest/kafka/profile-producer.ts';
import { reportPartitions } from '../../src/store/offset-ledger.ts';
import { streamingProbe } from '../../src/server/streaming-status.ts';
import { Harness } from './harness.ts';
import { type FreshDatabase, freshDatabase, services, servicesMissing, uniqueName } from './services.ts';

describe.skipIf(servicesMissing)('the stream status', () => {
  let fresh: FreshDatabase | undefined;
  let harness: Harness | undefined;
  afterAll(async () => {
    await harness?.close();
    await fresh?.dispose();
  });

  it('counts what the group has not committed as lag, and reports the oldest unstored range', async () => {
    fresh = await freshDatabase();
    harness = new Harness({ partitions: 2 });
    await harness.createTopics();
    await harness.produce([...syntheticMessages(uniqueName('status'), 30)]);
    const probe = streamingProbe({ brokers: services.brokers(), topic: harness.topic, groupId: harness.groupId, db: fresh.database.db });

    const idle = await probe();
    expect(idle).toMatchObject({ lag: 30, unstoredRanges: 0, oldestUnstoredAgeSeconds: null });
    expect(idle.partitions.map((p) => p.committed)).toEqual([null, null]);

    const published = new Date(Date.now() - 42_000);
    await reportPartitions(fresh.database.db, [
      { groupId: harness.groupId, topic: harness.topic, partition: 0, committedOffset: null, unstoredRanges: 3, oldestUnstoredAt: published },
    ]);
    const busy = await probe();
    expect(busy.unstoredRanges).toBe(3);
    expect(busy.oldestUnstoredAgeSeconds).toBeGreaterThanOrEqual(42);
  });
});
