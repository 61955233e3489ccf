import { createLogger } from '@bulkhead/observability';
import { loadDevstackEnv } from '@bulkhead/testkit';
import type { Producer } from 'kafkajs';
import { createKafka } from './kafka';

const devstack = loadDevstackEnv();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the kafkajs the services run', () => {
  let producer: Producer;

  beforeAll(async () => {
    const logger = createLogger({ service: 'audit-kafka-int', level: 'silent' });
    producer = createKafka({ brokers: devstack.kafkaBrokers, clientId: 'audit-kafka-int', logger }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
  });

  // kafkajs 2.2.4, its last release, checks each connection's pending requests every millisecond
  // once one request was answered, with nothing pending: a few percent of a core per idle
  // process. patches/kafkajs+2.2.4.patch stops that loop (ADR 0009).
  it('schedules no timers while a connected producer is idle', async () => {
    await sleep(100);
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    try {
      await sleep(500);
      expect(setTimeoutSpy.mock.calls.length).toBeLessThan(10);
    } finally {
      setTimeoutSpy.mockRestore();
    }
  });
});
