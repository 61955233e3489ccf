import type { AuditEvent } from '@bulkhead/audit';
import type { Logger, Registry } from '@bulkhead/observability';
import { Partitioners, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { Counter } from 'prom-client';
import { parseAuditMessage } from './audit-message';
import { appendEvents } from './log-writer';

export interface LogConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  registry: Registry;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
}

/** The running consumer of the audit topic. */
export interface LogConsumer {
  /** False once kafkajs has given up on the consumer (a crash it does not restart from). */
  isRunning(): boolean;
  stop(): Promise<void>;
}

/**
 * Consumes the audit topic into the compliance log, batch by batch: messages that cannot be
 * logged go to the dead-letter topic (headers `reason`, `source-partition`, `source-offset`,
 * the original value); the others are appended in one database transaction; only after it
 * commits are the batch's offsets committed. A failure commits nothing, so kafkajs retries the
 * batch (and restarts the consumer when retries run out); redelivered events are dropped by id.
 */
export async function startLogConsumer(options: LogConsumerOptions): Promise<LogConsumer> {
  const { kafka, pool, logger, topic, deadLetterTopic } = options;
  const metrics = createLogMetrics(options.registry);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  // A crashed member's partitions wait for its session to expire: 15 s, not kafkajs's 30. A
  // short fetch wait lets a stop leave the group within about a second.
  const consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, sessionTimeout: 15_000, heartbeatInterval: 3000, maxWaitTimeInMs: 1000 });
  let running = true;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, 'the audit-log consumer crashed');
    if (!payload.restart) running = false;
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: (payload) => logBatch(payload, { pool, producer, logger, deadLetterTopic, metrics }),
  });
  return {
    isRunning: () => running,
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function logBatch(
  { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload,
  { pool, producer, logger, deadLetterTopic, metrics }: { pool: Pool; producer: Producer; logger: Logger; deadLetterTopic: string; metrics: LogMetrics },
): Promise<void> {
  const last = batch.messages.at(-1);
  if (last === undefined) return;
  const events: AuditEvent[] = [];
  const poison: { value: Buffer | null; key: Buffer | null; offset: string; reason: string }[] = [];
  for (const message of batch.messages) {
    const parsed = parseAuditMessage(message.value);
    if (parsed.ok) events.push(parsed.event);
    else poison.push({ value: message.value, key: message.key, offset: message.offset, reason: parsed.reason });
  }
  if (poison.length > 0) {
    await producer.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: poison.map((message) => ({
        key: message.key,
        value: message.value,
        headers: { reason: message.reason, 'source-partition': String(batch.partition), 'source-offset': message.offset },
      })),
    });
    metrics.deadLettered.inc(poison.length);
    logger.warn({ partition: batch.partition, offsets: poison.map((message) => message.offset) }, 'audit messages dead-lettered');
  }
  const result = await appendEvents(pool, events, { beforeTenant: heartbeat });
  for (const message of batch.messages) resolveOffset(message.offset);
  await commitOffsetsIfNecessary({
    topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
  });
  metrics.logged.inc(result.appended);
  metrics.duplicates.inc(result.duplicates);
  if (result.duplicates > 0) logger.info({ partition: batch.partition, duplicates: result.duplicates }, 'redelivered audit events dropped');
}

interface LogMetrics {
  logged: Counter;
  duplicates: Counter;
  deadLettered: Counter;
}

function createLogMetrics(registry: Registry): LogMetrics {
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers: [registry] });
  return {
    logged: counter('bulkhead_audit_events_logged_total', 'Audit events appended to the compliance log.'),
    duplicates: counter('bulkhead_audit_events_duplicate_total', 'Redelivered audit events dropped by id.'),
    deadLettered: counter('bulkhead_audit_messages_dead_lettered_total', 'Audit-topic messages sent to the dead-letter topic.'),
  };
}
