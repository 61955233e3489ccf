import type { Logger } from '@bulkhead/observability';
import { Kafka, logLevel, type Admin, type IHeaders, type LogEntry, type Message, type Producer } from 'kafkajs';

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
  /** Topic-level settings, given at creation. */
  config?: Readonly<Record<string, string>>;
}

/** Creates the topics that do not exist yet (existing ones are left as they are). */
export async function ensureTopics(admin: Admin, topics: readonly TopicSpec[], replicationFactor: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.numPartitions,
      replicationFactor,
      configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
}

/**
 * The most key, value and header bytes one produce request carries. The broker refuses a
 * partition's batch over `message.max.bytes` (1 MiB by default), and refuses it again on every
 * retry: whatever sent it would stall for good. Two senders can reach that size: the relay with
 * a tenant's backlog of large events, and the log with a fetched batch of poison messages
 * (up to the 1 MiB fetch, plus the headers that say why each is dead-lettered).
 */
export const MAX_PRODUCE_BYTES = 512 * 1024;

type Bytes = Buffer | string | null | undefined;
const bytesOf = (part: Bytes): number => (typeof part === 'string' ? Buffer.byteLength(part) : (part?.length ?? 0));
const headerBytes = (headers: IHeaders | undefined): number =>
  Object.entries(headers ?? {}).reduce((sum, [name, value]) => sum + bytesOf(name) + [value].flat().reduce<number>((n, part) => n + bytesOf(part), 0), 0);
const sizeOf = (message: Message): number => bytesOf(message.key) + bytesOf(message.value) + headerBytes(message.headers);

/** `messages` in order, cut into runs of at most `maxBytes` (a message larger than that alone). */
export function chunksOf(messages: readonly Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = sizeOf(message);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Produces `messages` to `topic` in order, acked by every in-sync replica, in requests of at most {@link MAX_PRODUCE_BYTES}. */
export async function sendInChunks(producer: Producer, topic: string, messages: readonly Message[]): Promise<void> {
  for (const chunk of chunksOf(messages, MAX_PRODUCE_BYTES)) await producer.send({ topic, acks: -1, messages: chunk });
}
