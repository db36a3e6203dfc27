/**
 * Publishes rejected messages to the dead-letter topic: the original key, value and headers byte
 * for byte, plus headers saying why and where from, so a fixed message can be replayed as it was.
 */
import type { IHeaders, Producer } from 'kafkajs';
import type { Rejected } from './plan-jobs.ts';

export const DLQ_HEADERS = {
  reason: 'cv-reason',
  topic: 'cv-source-topic',
  partition: 'cv-source-partition',
  offset: 'cv-source-offset',
} as const;

/** Resolves once every reject is acknowledged by all in-sync replicas. */
export async function publishRejected(
  producer: Producer,
  dlqTopic: string,
  from: { topic: string; partition: number },
  rejected: readonly Rejected[],
): Promise<void> {
  if (rejected.length === 0) return;
  await producer.send({
    topic: dlqTopic,
    acks: -1,
    messages: rejected.map(({ message, reason }) => ({
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.topic]: from.topic,
        [DLQ_HEADERS.partition]: String(from.partition),
        [DLQ_HEADERS.offset]: message.offset,
      } satisfies IHeaders,
    })),
  });
}
