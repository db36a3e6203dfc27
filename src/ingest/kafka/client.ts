/**
 * The Kafka client of every streaming command, with kafkajs' own logging routed into the project
 * logger (stderr, JSON), so stdout stays clean and one log level governs everything.
 */
import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient, LogEntry, logCreator } from 'kafkajs';
import { logger } from '../../logger.ts';

const { Kafka, logLevel } = kafkajs;

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
}

/**
 * kafkajs reports ordinary lifecycle events (joins, rebalances, retriable errors it then retries)
 * at INFO and ERROR; one level down in our logs keeps a healthy consumer quiet at `info`.
 */
const routeLogs: logCreator = () => {
  const log = logger.child({ component: 'kafkajs' });
  return ({ level, log: entry }: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = entry;
    if (level === logLevel.ERROR) log.warn(fields, message);
    else if (level === logLevel.WARN) log.info(fields, message);
    else log.debug(fields, message);
  };
};

export function createKafka(options: KafkaOptions): KafkaClient {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.INFO,
    logCreator: routeLogs,
    // kafkajs' default gives up after ~30 s of broker trouble and crashes the consumer; keep retrying longer.
    retry: { initialRetryTime: 300, retries: 10 },
  });
}
