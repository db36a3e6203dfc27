/** Creates the profile topic and its dead-letter topic when they do not exist yet. */
import type { Kafka } from 'kafkajs';

export interface TopicSpec {
  topics: string[];
  partitions: number;
}

/**
 * Idempotent: existing topics are left as they are (their partition count included). Waits for
 * partition leaders, so a producer or consumer started right after finds the topic usable.
 */
export async function ensureTopics(kafka: Kafka, spec: TopicSpec): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = spec.topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: spec.partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}
