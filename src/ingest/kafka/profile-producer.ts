/**
 * Publishes profiles to the topic, for demos and load tests: from a file (`produce`) or from any
 * stream of messages (the benchmark). Key = profile id, so every version of a profile lands on
 * the same partition.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Producer } from 'kafkajs';
import { type InputFormat, readInputFile } from '../file/file-input.ts';
import { syntheticProfiles } from './synthetic-profiles.ts';

export interface OutgoingMessage {
  key: string | null;
  value: string;
}

export interface PublishOptions {
  /** Messages per second at most; unset = as fast as the broker takes them. */
  rate?: number | undefined;
  /** Messages per produce request. */
  batchSize?: number;
  /** Called after each acknowledged request with the messages it carried and when it was sent. */
  onSent?: (messages: readonly OutgoingMessage[], sentAt: number) => void;
}

const DEFAULT_BATCH = 500;
/** With a rate, requests go out about this often, so pacing stays smooth at low rates. */
const PACING_TICKS_PER_SECOND = 20;

/** Publishes `messages` in order; resolves with the count once all are acknowledged. */
export async function publishMessages(
  producer: Producer,
  topic: string,
  messages: AsyncIterable<OutgoingMessage> | Iterable<OutgoingMessage>,
  options: PublishOptions = {},
): Promise<number> {
  const { rate } = options;
  const batchSize = rate ? Math.max(1, Math.min(options.batchSize ?? DEFAULT_BATCH, Math.ceil(rate / PACING_TICKS_PER_SECOND))) : (options.batchSize ?? DEFAULT_BATCH);
  const start = Date.now();
  let sent = 0;
  let batch: OutgoingMessage[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    if (rate) {
      // Send this request when the messages before it have used up their share of time.
      const due = start + (sent / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const sentAt = Date.now();
    await producer.send({ topic, acks: -1, messages: batch.map((m): Message => ({ key: m.key, value: m.value })) });
    sent += batch.length;
    options.onSent?.(batch, sentAt);
    batch = [];
  };

  for await (const message of messages) {
    batch.push(message);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return sent;
}

export interface FileMessages {
  /** Items that failed validation, published anyway (unless skipped) so the consumer dead-letters them. */
  invalid: number;
  skipped: number;
}

/**
 * The items of an input file as messages. A valid message object is published verbatim; a raw
 * profile (a bare array of positions) becomes a `{profileId, positions}` message with its derived
 * id, so key and value agree. Invalid items are published verbatim with no key unless `skipInvalid`.
 */
export async function* messagesFromFile(
  input: string,
  format: InputFormat | undefined,
  skipInvalid: boolean,
  counts: FileMessages,
): AsyncGenerator<OutgoingMessage> {
  for await (const item of readInputFile(input, format)) {
    if (item.result.ok) {
      const raw = item.payload.trimStart().startsWith('[');
      yield { key: item.result.value.profileId, value: raw ? JSON.stringify(item.result.value) : item.payload };
    } else if (skipInvalid) {
      counts.skipped += 1;
    } else {
      counts.invalid += 1;
      yield { key: null, value: item.payload };
    }
  }
}

/** `count` synthetic profiles as messages (see synthetic-profiles.ts). */
export function* syntheticMessages(prefix: string, count: number): Generator<OutgoingMessage> {
  for (const profile of syntheticProfiles(prefix, count)) yield { key: profile.profileId, value: JSON.stringify(profile) };
}
