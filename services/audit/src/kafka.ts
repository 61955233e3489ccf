import type { Logger } from '@bulkhead/observability';
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';

/** The Kafka client of the service, its log lines going to the service's logger. */
export function createKafka(options: { brokers: readonly string[]; clientId: string; logger: Logger }): Kafka {
  const { logger } = options;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, label, log }: LogEntry) => {
        const { message, ...fields } = log;
        const line = `kafka ${label.toLowerCase()}: ${message}`;
        if (level <= logLevel.ERROR) logger.error(fields, line);
        else logger.warn(fields, line);
      },
  });
}

/** A topic the service needs, created at start when missing. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

/** Creates the topics that do not exist yet (existing ones are left as they are). */
export async function ensureTopics(admin: Admin, topics: readonly TopicSpec[], replicationFactor: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((spec) => ({ topic: spec.topic, numPartitions: spec.numPartitions, replicationFactor })),
  });
}
