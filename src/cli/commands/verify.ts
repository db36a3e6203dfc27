import type { Command } from 'commander';
import { brokerList, requireEnv } from '../../config.ts';
import type { VerifyReport } from '../../ingest/kafka/verify.ts';
import { env, formatTable, printJson, withDatabase } from '../context.ts';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'reconcile a Kafka topic (KAFKA_TOPIC) with Postgres: every valid message stored, every invalid one dead-lettered; reports lost messages (behind the committed offset, not stored: exit 3), pending ones and the lag of KAFKA_GROUP_ID',
    )
    .option('--topic <topic>', 'the topic to check (default: KAFKA_TOPIC)')
    .option('--group <group>', 'the consumer group whose committed offsets are checked (default: KAFKA_GROUP_ID)')
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: { topic?: string; group?: string; json?: boolean }) => {
      const config = env();
      const { KAFKA_BROKERS } = requireEnv(config, 'verify', ['KAFKA_BROKERS']);
      const { createKafka } = await import('../../ingest/kafka/client.ts');
      const { verifyTopic } = await import('../../ingest/kafka/verify.ts');
      const kafka = createKafka({ brokers: brokerList(KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID });
      const report = await withDatabase(({ db }) => verifyTopic(kafka, db, opts.topic ?? config.KAFKA_TOPIC, opts.group ?? config.KAFKA_GROUP_ID));
      if (opts.json) printJson(report);
      else process.stdout.write(renderReport(report));
      // Lost data is what an operator must act on; pending data only needs time.
      if (report.lost > 0) process.exitCode = 3;
    });
}

function renderReport(r: VerifyReport): string {
  const lines = [
    `topic ${r.topic}, group ${r.groupId}: ${r.messages} messages (${r.valid} valid, ${r.invalid} invalid)`,
    `lost ${r.lost} (behind the committed offset, not stored)  pending ${r.pending} (in flight)  lag ${r.lag}`,
    '',
    formatTable(
      ['partition', 'log end', 'committed', 'messages', 'invalid', 'lost', 'pending'],
      r.partitions.map((p) => [p.partition, p.logEnd, p.committed ?? '-', p.messages, p.invalid, p.lost, p.pending]),
    ),
  ];
  if (r.lostRefs.length > 0) lines.push('', `lost (first ${r.lostRefs.length}): ${r.lostRefs.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
