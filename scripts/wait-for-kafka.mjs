// node scripts/wait-for-kafka.mjs -- readiness probe for the local broker (from ../shared/kafka).
// Ready = a kafkajs admin client sees a live broker AND the group coordinator answers. The second
// part matters on a freshly formatted broker: the first consumer group otherwise hits "coordinator
// is loading" while __consumer_offsets is created, and kafkajs consumers crash and restart.
import kafkajs from 'kafkajs';
const { Kafka, logLevel } = kafkajs;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');   // not "localhost": Node may try ::1
const kafka = new Kafka({ clientId: 'ci-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
const deadline = Date.now() + Number(process.env.KAFKA_WAIT_MS ?? 60000);
let seen = null;
for (;;) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers: live } = await admin.describeCluster();
    if (live.length > 0) {
      seen = live;
      await admin.describeGroups(['ci-probe-warmup']);   // FindCoordinator + DescribeGroups: throws while loading
      console.log('kafka ready', live);
      process.exit(0);
    }
  } catch { /* not ready yet */ } finally { await admin.disconnect().catch(() => {}); }
  if (Date.now() > deadline) { console.error('kafka not ready', seen ? '(group coordinator never answered)' : ''); process.exit(1); }
  await new Promise((r) => setTimeout(r, 500));
}
