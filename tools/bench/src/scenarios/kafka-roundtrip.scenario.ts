import { loadDevstackEnv } from '@bulkhead/testkit';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import type { Scenario, WorkloadResult } from '../harness';

const MESSAGE_BYTES = 512;
const BATCH = 500;
const TENANTS = 20;

/**
 * Raw kafkajs on the devstack broker: idempotent, acks=all batched produce (baseline) vs the
 * same produce with a consumer group reading every message back (subject). The subject's
 * throughput is "A" in the audit pipeline's target: raw produce+consume.
 */
export const kafkaRoundtripScenario: Scenario = {
  name: 'kafka-roundtrip',
  description: `kafkajs, ${MESSAGE_BYTES}-byte messages keyed by ${TENANTS} tenants, batches of ${BATCH}: produce vs produce+consume`,
  async prepare({ durationMs }) {
    const env = loadDevstackEnv();
    const kafka = new Kafka({ clientId: 'bulkhead-bench', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
    const runId = randomUUID().slice(0, 8);
    const produceTopic = `bench.produce.${runId}`;
    const roundtripTopic = `bench.roundtrip.${runId}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [produceTopic, roundtripTopic].map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })),
    });

    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Message count per round scales with the requested duration, measured once on a short probe.
    const messagesPerRound = await calibrate(producer, produceTopic, durationMs);

    let received = 0;
    let onReceived: (() => void) | undefined;
    const consumer: Consumer = kafka.consumer({ groupId: `bench-${runId}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: roundtripTopic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        received += batch.messages.length;
        onReceived?.();
      },
    });

    return {
      baseline: {
        name: 'produce (idempotent, acks=all)',
        run: async (): Promise<WorkloadResult> => {
          await produce(producer, produceTopic, messagesPerRound);
          return { operations: messagesPerRound };
        },
      },
      subject: {
        name: 'produce + consume (consumer group)',
        run: async (): Promise<WorkloadResult> => {
          const target = received + messagesPerRound;
          const allReceived = new Promise<void>((resolve) => {
            onReceived = () => {
              if (received >= target) resolve();
            };
          });
          await produce(producer, roundtripTopic, messagesPerRound);
          await allReceived;
          return { operations: messagesPerRound };
        },
      },
      async close() {
        await consumer.disconnect();
        await producer.disconnect();
        await admin.deleteTopics({ topics: [produceTopic, roundtripTopic] });
        await admin.disconnect();
      },
    };
  },
};

const payload = 'x'.repeat(MESSAGE_BYTES);

/** Sends `count` messages keyed by tenant in batches, as the relay does (idempotent, acks=all). */
export async function produce(producer: Producer, topic: string, count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += BATCH) {
    const size = Math.min(BATCH, count - sent);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: size }, (_, i) => ({ key: `tenant-${(sent + i) % TENANTS}`, value: payload })),
    });
  }
}

async function calibrate(producer: Producer, topic: string, durationMs: number): Promise<number> {
  const probe = BATCH * 4;
  const started = performance.now();
  await produce(producer, topic, probe);
  const perMs = probe / Math.max(performance.now() - started, 1);
  return Math.max(BATCH, Math.round((perMs * durationMs) / BATCH) * BATCH);
}
