import type { Command } from 'commander';
import { Option } from 'commander';
import { brokerList, requireEnv } from '../../config.ts';
import type { FileMessages } from '../../ingest/kafka/profile-producer.ts';
import type { InputFormat } from '../../ingest/file/file-input.ts';
import { env, positiveInt, printJson } from '../context.ts';

export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description('publish profiles (a file, or N synthetic ones) to Kafka (KAFKA_TOPIC), key = profile id: for demos and load tests')
    .option('-i, --input <file>', 'a JSON array of profiles (raw format or messages) or NDJSON of messages')
    .option('--synthetic <n>', 'publish N generated profiles instead of a file (ids synthetic-<run>-<i>)', positiveInt)
    .addOption(new Option('-f, --format <format>', 'input format (default: from the file extension)').choices(['json', 'ndjson']))
    .option('-r, --rate <n>', 'publish at most N messages per second (default: as fast as the broker takes them)', positiveInt)
    .option('--skip-invalid', 'leave out items that fail validation (default: publish them verbatim, so the consumer dead-letters them)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (opts: { input?: string; synthetic?: number; format?: InputFormat; rate?: number; skipInvalid?: boolean; json?: boolean }) => {
      if ((opts.input === undefined) === (opts.synthetic === undefined)) throw new Error('give either --input FILE or --synthetic N');
      const config = env();
      const { KAFKA_BROKERS } = requireEnv(config, 'produce', ['KAFKA_BROKERS']);
      const { Partitioners } = (await import('kafkajs')).default;
      const { createKafka } = await import('../../ingest/kafka/client.ts');
      const { messagesFromFile, publishMessages, syntheticMessages } = await import('../../ingest/kafka/profile-producer.ts');
      const { ensureTopics } = await import('../../ingest/kafka/topics.ts');
      const kafka = createKafka({ brokers: brokerList(KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID });
      await ensureTopics(kafka, { topics: [config.KAFKA_TOPIC, config.KAFKA_DLQ_TOPIC], partitions: config.KAFKA_TOPIC_PARTITIONS });
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const counts: FileMessages = { invalid: 0, skipped: 0 };
      const started = Date.now();
      let published: number;
      try {
        const messages = opts.input !== undefined
          ? messagesFromFile(opts.input, opts.format, opts.skipInvalid ?? false, counts)
          : syntheticMessages(`synthetic-${Date.now().toString(36)}`, opts.synthetic!);
        published = await publishMessages(producer, config.KAFKA_TOPIC, messages, { rate: opts.rate });
      } finally {
        await producer.disconnect();
      }
      const seconds = (Date.now() - started) / 1000;
      const summary = { topic: config.KAFKA_TOPIC, published, invalidPublished: counts.invalid, skipped: counts.skipped, seconds, perSecond: Math.round(published / Math.max(seconds, 0.001)) };
      if (opts.json) printJson(summary);
      else {
        const notes = [
          counts.invalid > 0 ? `${counts.invalid} of them invalid: the consumer sends those to ${config.KAFKA_DLQ_TOPIC}` : '',
          counts.skipped > 0 ? `${counts.skipped} invalid items skipped` : '',
        ].filter(Boolean);
        process.stdout.write(`published ${published} messages to ${config.KAFKA_TOPIC} in ${seconds.toFixed(1)} s (${summary.perSecond}/s)${notes.length ? `; ${notes.join('; ')}` : ''}\n`);
      }
    });
}
