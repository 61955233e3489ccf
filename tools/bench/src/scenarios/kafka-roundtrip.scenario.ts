import { loadDevstackEnv } from '@bulkhead/testkit';
import type { Producer } from 'kafkajs';
import type { Scenario, WorkloadResult } from '../harness';
import { countReceived, openRawKafka } from './raw-kafka';

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
    const kafka = await openRawKafka(loadDevstackEnv().kafkaBrokers);
    const produceTopic = await kafka.topic('produce');
    const roundtripTopic = await kafka.topic('roundtrip');
    // Message count per round scales with the requested duration, measured once on a short probe.
    const messagesPerRound = await calibrate(kafka.producer, produceTopic, durationMs);
    const received = countReceived();
    await kafka.consume(roundtripTopic, received.onBatch);

    return {
      baseline: {
        name: 'produce (idempotent, acks=all)',
        run: async (): Promise<WorkloadResult> => {
          await produce(kafka.producer, produceTopic, messagesPerRound);
          return { operations: messagesPerRound };
        },
      },
      subject: {
        name: 'produce + consume (consumer group)',
        run: async (): Promise<WorkloadResult> => {
          const allReceived = received.next(messagesPerRound);
          await produce(kafka.producer, roundtripTopic, messagesPerRound);
          await allReceived;
          return { operations: messagesPerRound };
        },
      },
      close: () => kafka.close(),
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
