import { createMetricsRegistry, type Logger } from '@bulkhead/observability';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { isEventError, logConsumerLoop } from './log-consumer';

describe('isEventError', () => {
  it('is true for errors of the data: data exception, integrity violation, program limit', () => {
    for (const code of ['22008', '22P02', '23505', '54000']) expect(isEventError(Object.assign(new Error('refused'), { code }))).toBe(true);
  });

  it('is false for connection, lock, resource, permission and unknown errors, which are retried', () => {
    for (const code of ['08006', '40001', '40P01', '53300', '55P03', '57P01', '42501', 'XX000']) {
      expect(isEventError(Object.assign(new Error('transient'), { code }))).toBe(false);
    }
    expect(isEventError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isEventError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isEventError(undefined)).toBe(false);
  });
});

describe('logConsumerLoop', () => {
  /**
   * A Kafka client whose broker answers `describeCluster` with the given cluster ids in turn and
   * refuses the first producer connection (the broker went away after the first look).
   */
  function kafkaOfClusters(clusterIds: string[]) {
    const consumerConnects = jest.fn(async () => undefined);
    let producerConnects = 0;
    const kafka = {
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        describeCluster: async () => ({ clusterId: clusterIds.shift() as string, brokers: [], controller: null }),
        listTopics: async () => ['audit.events'],
      }),
      producer: () => ({
        connect: async () => {
          if (producerConnects++ === 0) throw new Error('broker gone');
        },
        disconnect: async () => undefined,
      }),
      consumer: () => ({ events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' }, on: () => undefined, connect: consumerConnects, disconnect: async () => undefined }),
    };
    return { kafka: kafka as unknown as Kafka, consumerConnects };
  }

  it('refuses to consume from a broker that comes back with a different cluster id, naming both ids', async () => {
    const { kafka, consumerConnects } = kafkaOfClusters(['cluster-a', 'cluster-b']);
    const body = logConsumerLoop({
      kafka,
      pool: {} as Pool,
      logger: {} as Logger,
      registry: createMetricsRegistry('audit-spec'),
      topic: 'audit.events',
      deadLetterTopic: 'audit.events.dlq',
      groupId: 'audit-log',
    });
    const context = { signal: new AbortController().signal, running: () => undefined };
    await expect(body(context)).rejects.toThrow('broker gone');
    await expect(body(context)).rejects.toThrow('the Kafka cluster id changed from cluster-a to cluster-b');
    expect(consumerConnects).not.toHaveBeenCalled();
  });
});
