import type { AuditEvent } from '@bulkhead/audit';
import type { Logger, Registry } from '@bulkhead/observability';
import type { LoopBody } from '@bulkhead/service-runtime';
import { Partitioners, type EachBatchPayload, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { Counter } from 'prom-client';
import { sendInChunks } from '../kafka';
import { parseAuditMessage } from './audit-message';
import { appendEvents, type AppendResult } from './log-writer';

export interface LogConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  registry: Registry;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
}

/** The supervised loop's name: in `/readyz`, gRPC health (`loop/audit-log-consumer`) and `bulkhead_loop_restarts_total`. */
export const LOG_CONSUMER_LOOP = 'audit-log-consumer';

/**
 * Consumes the audit topic into the compliance log, batch by batch: messages that cannot be
 * logged go to the dead-letter topic (headers `reason`, `source-partition`, `source-offset`,
 * the original value); the others are appended in one database transaction; only after it
 * commits are the batch's offsets committed. A failure commits nothing, so kafkajs retries the
 * batch; redelivered events are dropped by id.
 * A batch that fails {@link ISOLATE_AFTER_ATTEMPTS} times with an error of the data itself
 * (see {@link isEventError}) is then appended one event at a time, and the events the database
 * refuses go to the dead-letter topic with the database's message, so one bad event cannot stop
 * its partition forever. Connection and other transient errors are retried as before.
 *
 * The answer is the body of a supervised loop (ADR 0012): each start connects a fresh consumer
 * and producer, joins the group and resumes from the committed offsets; it is `running` once it
 * has joined the group. kafkajs never restarts the consumer itself: any crash (a broker restart's
 * `Failed to find group coordinator` among them) ends the body and the supervisor starts it
 * again with backoff. A start that finds the topic gone, or a cluster whose id differs from the
 * one this process first consumed, fails (and is retried with backoff) instead of consuming:
 * the first means someone deleted the log's input, the second a broker that lost its data, and
 * either needs an operator. A running consumer checks both every {@link BROKER_CHECK_INTERVAL_MS}.
 */
export function logConsumerLoop(options: LogConsumerOptions): LoopBody {
  const { kafka, pool, logger, topic, deadLetterTopic } = options;
  const metrics = createLogMetrics(options.registry);
  const failedAttempts = new Map<string, number>();
  let firstClusterId: string | undefined;

  return async ({ signal, running }) => {
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    // A crashed member's partitions wait for its session to expire: 15 s, not kafkajs's 30. A
    // short fetch wait lets a stop leave the group within about a second. A fetch waits for 64 KiB
    // or 250 ms, whichever comes first: under a steady trickle of writes the log appends fewer,
    // larger batches (each costs a transaction per partition), for at most 250 ms of lag. A lost
    // broker crashes the consumer after a few quick retries (about 3 s) rather than kafkajs's
    // default (about 10 s, then a restart of its own that a non-retriable error skips).
    const consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 15_000,
      heartbeatInterval: 3000,
      minBytes: 64 * 1024,
      maxWaitTimeInMs: 250,
      retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 2000, restartOnFailure: async () => false },
    });
    const crashed = new Promise<never>((_resolve, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    });
    crashed.catch(() => undefined);
    consumer.on(consumer.events.GROUP_JOIN, () => running());
    // Ends with the supervisor's stop, or with this start (a crash or a failed check).
    const ending = new AbortController();
    const ended = AbortSignal.any([signal, ending.signal]);
    try {
      await admin.connect();
      const assertSameClusterAndTopic = async (): Promise<void> => {
        const { clusterId } = await admin.describeCluster();
        firstClusterId ??= clusterId;
        if (clusterId !== firstClusterId) {
          throw new Error(`the Kafka cluster id changed from ${firstClusterId} to ${clusterId}: the broker lost its data; not consuming until an operator restarts the service`);
        }
        if (!(await admin.listTopics()).includes(topic)) throw new Error(`the audit topic ${topic} does not exist: it was deleted; not consuming until it is created again`);
      };
      await assertSameClusterAndTopic();
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        // Partitions are keyed by tenant, so their batches touch disjoint chains: appending them in
        // parallel overlaps the database round trips instead of queueing partition behind partition.
        partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => logBatch(payload, { pool, producer, logger, deadLetterTopic, metrics, failedAttempts }),
      });
      // kafkajs follows a new cluster, and idles on a deleted topic, without crashing: look.
      const watching = (async () => {
        while (!ended.aborted) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, BROKER_CHECK_INTERVAL_MS);
            ended.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
          });
          if (!ended.aborted) await assertSameClusterAndTopic();
        }
      })();
      watching.catch(() => undefined);
      await Promise.race([crashed, watching]);
    } finally {
      ending.abort();
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  };
}

/** How often a running consumer checks that its topic exists and the cluster is the one it started on. */
const BROKER_CHECK_INTERVAL_MS = 5000;

/** Batches of different partitions appended at the same time (the audit topic has 6 partitions). */
const PARTITIONS_CONSUMED_CONCURRENTLY = 6;

/** How many times a batch may fail on its data before it is appended event by event. */
export const ISOLATE_AFTER_ATTEMPTS = 3;

/**
 * SQLSTATE classes of errors caused by the data written, which the same event repeats on every
 * attempt: data exception (22), integrity constraint violation (23), program limit exceeded (54).
 * Anything else (connection, lock, resource, permission, server errors) is worth retrying.
 */
const EVENT_ERROR_CLASSES = new Set(['22', '23', '54']);

/** Whether `err` is a database error of the data itself (see {@link EVENT_ERROR_CLASSES}). */
export function isEventError(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' && code.length === 5 && EVENT_ERROR_CLASSES.has(code.slice(0, 2));
}

interface LogBatchContext {
  pool: Pool;
  producer: Producer;
  logger: Logger;
  deadLetterTopic: string;
  metrics: LogMetrics;
  /** Failed attempts by batch (`partition:first offset`), cleared when the batch is logged. */
  failedAttempts: Map<string, number>;
}

interface DeadLetter {
  value: Buffer | null;
  key: Buffer | null;
  offset: string;
  reason: string;
}

async function logBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload, context: LogBatchContext): Promise<void> {
  const { pool, logger, metrics, failedAttempts } = context;
  const first = batch.messages[0];
  const last = batch.messages.at(-1);
  if (first === undefined || last === undefined) return;
  const events: { event: AuditEvent; message: KafkaMessage }[] = [];
  const poison: DeadLetter[] = [];
  for (const message of batch.messages) {
    const parsed = parseAuditMessage(message.value);
    if (parsed.ok) events.push({ event: parsed.event, message });
    else poison.push({ value: message.value, key: message.key, offset: message.offset, reason: parsed.reason });
  }
  await deadLetter(context, batch.partition, poison);

  const batchKey = `${batch.partition}:${first.offset}`;
  let result: AppendResult;
  try {
    result = await appendEvents(
      pool,
      events.map(({ event }) => event),
      { beforeAppend: heartbeat },
    );
  } catch (err) {
    const attempts = (failedAttempts.get(batchKey) ?? 0) + 1;
    if (!isEventError(err) || attempts < ISOLATE_AFTER_ATTEMPTS) {
      failedAttempts.set(batchKey, attempts);
      throw err;
    }
    logger.warn({ err, partition: batch.partition, offset: first.offset, attempts }, 'an audit batch keeps failing on its data: appending its events one by one');
    result = await appendOneByOne(context, batch.partition, events, heartbeat);
  }
  failedAttempts.delete(batchKey);
  for (const message of batch.messages) resolveOffset(message.offset);
  await commitOffsetsIfNecessary({
    topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
  });
  metrics.logged.inc(result.appended);
  metrics.duplicates.inc(result.duplicates);
  if (result.duplicates > 0) logger.info({ partition: batch.partition, duplicates: result.duplicates }, 'redelivered audit events dropped');
}

/**
 * Appends each event in its own transaction, in order; an event refused for its data goes to the
 * dead-letter topic with the database's message. Any other error is thrown (nothing of the batch
 * is committed to Kafka, and the events already appended are dropped by id when it is redelivered).
 */
async function appendOneByOne(
  context: LogBatchContext,
  partition: number,
  events: readonly { event: AuditEvent; message: KafkaMessage }[],
  heartbeat: () => Promise<void>,
): Promise<AppendResult> {
  const total: AppendResult = { appended: 0, duplicates: 0 };
  for (const { event, message } of events) {
    await heartbeat();
    try {
      const result = await appendEvents(context.pool, [event]);
      total.appended += result.appended;
      total.duplicates += result.duplicates;
    } catch (err) {
      if (!isEventError(err)) throw err;
      const reason = `database refused the event: ${err instanceof Error ? err.message : String(err)}`;
      await deadLetter(context, partition, [{ value: message.value, key: message.key, offset: message.offset, reason }]);
    }
  }
  return total;
}

/** Sends messages that cannot be logged to the dead-letter topic, with why and where they came from. */
async function deadLetter({ producer, deadLetterTopic, metrics, logger }: LogBatchContext, partition: number, messages: readonly DeadLetter[]): Promise<void> {
  if (messages.length === 0) return;
  await sendInChunks(
    producer,
    deadLetterTopic,
    messages.map((message) => ({
      key: message.key,
      value: message.value,
      headers: { reason: message.reason, 'source-partition': String(partition), 'source-offset': message.offset },
    })),
  );
  metrics.deadLettered.inc(messages.length);
  logger.warn({ partition, offsets: messages.map((message) => message.offset) }, 'audit messages dead-lettered');
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
