import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';

/**
 * Raw kafkajs on the devstack broker, as the bench's baselines use it: topics of this run (6
 * partitions), one idempotent acks=all producer, and consumer groups reading from the start.
 */
export interface RawKafka {
  producer: Producer;
  /** Creates the topic `bench.<name>.<run id>` and returns its name. */
  topic(name: string): Promise<string>;
  /** Starts a consumer group on `topic`, handing it every batch. */
  consume(topic: string, onBatch: (messages: readonly KafkaMessage[]) => void): Promise<void>;
  /** Stops the consumers and the producer, and deletes the run's topics. */
  close(): Promise<void>;
}

export async function openRawKafka(brokers: readonly string[]): Promise<RawKafka> {
  const kafka = new Kafka({ clientId: 'bulkhead-bench', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const runId = randomUUID().slice(0, 8);
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const topics: string[] = [];
  const consumers: Consumer[] = [];
  return {
    producer,
    async topic(name) {
      const topic = `bench.${name}.${runId}`;
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
      topics.push(topic);
      return topic;
    },
    async consume(topic, onBatch) {
      const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxWaitTimeInMs: 50 });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatchAutoResolve: true, eachBatch: async ({ batch }) => onBatch(batch.messages) });
    },
    async close() {
      for (const consumer of consumers) await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics });
      await admin.disconnect();
    },
  };
}

/** How many messages a consumer group has received, and a wait for the next `count` of them. */
export interface ReceivedCount {
  onBatch(messages: readonly unknown[]): void;
  /** Resolves once `count` more messages than now have arrived: call it before producing them. */
  next(count: number): Promise<void>;
}

export function countReceived(): ReceivedCount {
  let received = 0;
  let waiting: { target: number; resolve: () => void } | undefined;
  return {
    onBatch(messages) {
      received += messages.length;
      if (waiting !== undefined && received >= waiting.target) waiting.resolve();
    },
    next(count) {
      return new Promise((resolve) => (waiting = { target: received + count, resolve }));
    },
  };
}
