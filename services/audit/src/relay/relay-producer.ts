import { Kafka, logLevel, Partitioners, type Message, type Producer } from 'kafkajs';
import { sendInChunks } from '../kafka';

/** The relay's one producer, shared by every outbox loop. */
export interface RelayProducer {
  /**
   * Produces `messages` to `topic`, in order, with acks from every in-sync replica, in requests the
   * broker accepts ({@link sendInChunks}); rejects when Kafka does not take them (some may have
   * been produced). An envelope is at most MAX_AUDIT_ENVELOPE_BYTES, so every request fits.
   */
  send(topic: string, messages: Message[]): Promise<void>;
  disconnect(): Promise<void>;
}

const ignore = (): void => undefined;

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
          await sendInChunks(current, topic, messages);
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
