/**
 * Turns one fetched Kafka batch (one partition) into scoring jobs and rejects. Pure: no client, no
 * clock, so the rules that make re-delivery safe are tested without a broker.
 */
import type { IHeaders } from 'kafkajs';
import { parseProfileText } from '../../domain/parse.ts';
import type { ProfileMessage } from '../../domain/profile.ts';
import type { ScoreJob } from '../../domain/score-job.ts';
import { scoreJobId } from '../../queues/score/score-job.ts';
import type { DeadLetter } from '../../domain/dead-letter.ts';

/** The parts of a kafkajs message the pipeline reads. */
export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

export interface Rejected {
  message: FetchedMessage;
  reason: string;
}

export interface BatchPlan {
  jobs: ScoreJob[];
  /** Every invalid message of the batch, in offset order (for the dead-letter topic). */
  rejected: Rejected[];
}

/** The dead-letter table's address of a message: source `kafka:<topic>`, ref `partition P offset O`. */
export const kafkaSource = (topic: string) => `kafka:${topic}`;
export const kafkaRef = (partition: number, offset: string) => `partition ${partition} offset ${offset}`;

/**
 * Splits `messages` (one partition, ascending offsets) into jobs of at most `jobSize` messages.
 * Job boundaries sit at multiples of `jobSize` in offset space, not at batch positions: kafkajs may
 * re-deliver a range cut into different fetch batches, and aligned boundaries make the same
 * messages fall into jobs with the same ids (and so be enqueued once) wherever a batch starts.
 */
export function planJobs(topic: string, partition: number, messages: readonly FetchedMessage[], jobSize: number): BatchPlan {
  const source = kafkaSource(topic);
  const groups = new Map<bigint, FetchedMessage[]>();
  for (const message of messages) {
    const slot = BigInt(message.offset) / BigInt(jobSize);
    const group = groups.get(slot);
    if (group) group.push(message);
    else groups.set(slot, [message]);
  }

  const jobs: ScoreJob[] = [];
  const rejected: Rejected[] = [];
  for (const group of groups.values()) {
    const profiles: ProfileMessage[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const message of group) {
      const result = parseMessage(message);
      if (result.ok) {
        profiles.push(result.value);
      } else {
        rejected.push({ message, reason: result.reason });
        deadLetters.push({
          source,
          sourceRef: kafkaRef(partition, message.offset),
          messageKey: message.key?.toString('utf8') ?? null,
          reason: result.reason,
          // The table holds text; the dead-letter topic keeps the original bytes exactly.
          payload: message.value?.toString('utf8') ?? '',
        });
      }
    }
    const firstOffset = group[0]!.offset;
    const lastOffset = group[group.length - 1]!.offset;
    jobs.push({
      id: scoreJobId(topic, partition, firstOffset, lastOffset),
      data: { source, topic, partition, firstOffset, lastOffset, profiles, deadLetters },
    });
  }
  return { jobs, rejected };
}

/** The validation every reader of the topic applies (the consumer, `verify`). */
export function parseMessage(message: FetchedMessage) {
  if (message.value === null) return { ok: false as const, reason: 'message has no value (tombstone)' };
  return parseProfileText(message.value.toString('utf8'));
}
