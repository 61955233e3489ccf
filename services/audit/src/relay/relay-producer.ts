import { Kafka, logLevel, Partitioners, type Message, type Producer } from 'kafkajs';

/** The relay's one producer, shared by every outbox loop. */
export interface RelayProducer {
  /**
   * Produces `messages` to `topic`, in order, with acks from every in-sync replica, in requests of
   * at most MAX_PRODUCE_BYTES; rejects when Kafka does not take them (some may have been produced).
   */
  send(topic: string, messages: Message[]): Promise<void>;
  disconnect(): Promise<void>;
}

const ignore = (): void => undefined;

/**
 * The most key and value bytes one produce request carries. The broker refuses a partition's
 * batch over `message.max.bytes` (1 MiB by default) for good, so a claim larger than that (a
 * tenant's backlog of large events) would stall its outbox forever if produced at once. An
 * envelope is at most MAX_AUDIT_ENVELOPE_BYTES, so no partition's batch exceeds the limit.
 */
export const MAX_PRODUCE_BYTES = 512 * 1024;

const bytesOf = (part: Buffer | string | null | undefined): number => (typeof part === 'string' ? Buffer.byteLength(part) : (part?.length ?? 0));
const sizeOf = (message: Message): number => bytesOf(message.key) + bytesOf(message.value);

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

/**
 * One idempotent producer (`maxInFlightRequests: 1`, `acks: -1`) for all the relay's loops.
 * Sends go one after the other: kafkajs's idempotent producer keeps one sequence per partition,
 * and concurrent sends to a partition from several loops could reach the broker out of order.
 *
 * Retries are bounded (kafkajs retries an idempotent producer forever by default): a relay
 * whose send hangs would hold its claimed rows and never back off. A send that fails drops the
 * producer, and the next send connects a fresh one (new producer id, fresh sequences); the
 * batch is produced again, which is the duplicate window the compliance-log consumer closes by
 * dropping event ids it already logged.
 *
 * kafkajs's own logging is off: during an outage it logs every retry, and the relay logs the
 * outage once itself.
 */
export function createRelayProducer(options: { brokers: readonly string[]; clientId: string }): RelayProducer {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
  let producer: Producer | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const connected = async (): Promise<Producer> => {
    if (producer !== undefined) return producer;
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await created.connect();
    } catch (err) {
      await created.disconnect().catch(ignore);
      throw err;
    }
    producer = created;
    return created;
  };

  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(ignore);
    return next;
  };

  return {
    send: (topic, messages) =>
      serially(async () => {
        const current = await connected();
        try {
          for (const chunk of chunksOf(messages, MAX_PRODUCE_BYTES)) await current.send({ topic, acks: -1, messages: chunk });
        } catch (err) {
          producer = undefined;
          await current.disconnect().catch(ignore);
          throw err;
        }
      }),
    disconnect: () =>
      serially(async () => {
        const current = producer;
        producer = undefined;
        await current?.disconnect();
      }),
  };
}
