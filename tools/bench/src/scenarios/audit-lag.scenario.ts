import { loadDevstackEnv } from '@bulkhead/testkit';
import { Pool } from 'pg';
import type { Scenario, WorkloadResult } from '../harness';
import { openBenchOutbox } from './audit-pipeline.scenario';
import { openRawKafka } from './raw-kafka';

const PROBE_EVENTS = 4000;
const TICK_MS = 10;

/** Calls `write(i)` for `count` events at `perSecond`, a tick's share every TICK_MS, without waiting on them between ticks. */
async function atSteadyRate(perSecond: number, durationMs: number, write: (index: number) => Promise<void>): Promise<number> {
  const perTick = Math.max(1, Math.round((perSecond * TICK_MS) / 1000));
  const writes: Promise<void>[] = [];
  const started = performance.now();
  let index = 0;
  for (let tick = 0; performance.now() - started < durationMs; tick++) {
    for (let i = 0; i < perTick; i++) writes.push(write(index++));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * TICK_MS - performance.now())));
  }
  await Promise.all(writes);
  return index;
}

/**
 * End-to-end lag of the audit pipeline (issue 5: p95 < 2 s): at 50% of the pipeline throughput
 * measured first (a drain of PROBE_EVENTS), events are committed one per tenant transaction at a
 * steady rate, and each event's lag is its `recorded_at` in the log (the consumer transaction)
 * minus its `occurred_at` (stamped just before its outbox commit). The baseline is raw kafkajs at
 * the same rate: each message's lag from before its produce to its consumption.
 */
export const auditLagScenario: Scenario = {
  name: 'audit-lag',
  description: 'audit events at 50% of the pipeline throughput: outbox commit → visible in the log, p50/p95 (target p95 < 2 s) vs raw kafkajs produce → consume',
  async prepare({ durationMs }) {
    const devstack = loadDevstackEnv();
    const auditDb = new Pool({ connectionString: devstack.auditDatabase.ownerUrl, max: 2 });
    const outbox = await openBenchOutbox(auditDb);
    const rate = (PROBE_EVENTS * 1000) / (await outbox.drain(PROBE_EVENTS)) / 2;
    process.stderr.write(`audit-lag: pipeline drained ${PROBE_EVENTS} events at ${Math.round(rate * 2)}/s; writing at ${Math.round(rate)}/s\n`);

    const kafka = await openRawKafka(devstack.kafkaBrokers);
    const topic = await kafka.topic('audit-lag');
    let kafkaLags: number[] = [];
    await kafka.consume(topic, (messages) => {
      const now = Date.now();
      for (const message of messages) kafkaLags.push(now - Number(message.value?.toString()));
    });

    return {
      baseline: {
        name: 'raw kafkajs: produce → consumed, same rate',
        run: async (): Promise<WorkloadResult> => {
          kafkaLags = [];
          const sent = await atSteadyRate(rate, durationMs, async (index) => {
            await kafka.producer.send({ topic, acks: -1, messages: [{ key: `tenant-${index % 20}`, value: String(Date.now()) }] });
          });
          while (kafkaLags.length < sent) await new Promise((resolve) => setTimeout(resolve, 5));
          return { operations: sent, latenciesMs: kafkaLags };
        },
      },
      subject: {
        name: 'outbox commit → visible in the compliance log',
        run: async (): Promise<WorkloadResult> => {
          const since = new Date();
          const written = await atSteadyRate(rate, durationMs, (index) => outbox.recordOne(index));
          await outbox.caughtUp();
          const lags = await auditDb.query<{ ms: number }>(
            `SELECT (extract(epoch FROM recorded_at - occurred_at) * 1000)::float8 AS ms FROM audit_events WHERE tenant_id = ANY($1::uuid[]) AND occurred_at >= $2`,
            [outbox.tenants, since],
          );
          return { operations: written, latenciesMs: lags.rows.map((row) => row.ms) };
        },
      },
      async close() {
        await kafka.close();
        await outbox.close();
        await auditDb.end();
      },
    };
  },
};
