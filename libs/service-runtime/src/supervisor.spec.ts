import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { Writable } from 'node:stream';
import { backoffDelay, createSupervisor, type LoopContext, type Supervisor } from './supervisor';

function captureLogger() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks.join('').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger: createLogger({ service: 'spec', destination: stream }), lines };
}

/** Resolves once `predicate` holds, checking after each macrotask. */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

describe('backoffDelay', () => {
  const backoff = { initialMs: 100, maxMs: 5000 };

  it('doubles per consecutive failure up to the cap', () => {
    const top = (failures: number): number => backoffDelay(failures, backoff, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7].map(top)).toEqual([100, 200, 400, 800, 1600, 3200, 5000]);
  });

  it('jitters between half and all of the ceiling, also after many failures', () => {
    expect(backoffDelay(3, backoff, () => 0)).toBe(200);
    expect(backoffDelay(3, backoff, () => 0.5)).toBe(300);
    expect(backoffDelay(1000, backoff, () => 0)).toBe(2500);
  });
});

describe('createSupervisor', () => {
  let supervisor: Supervisor | undefined;
  afterEach(async () => supervisor?.stop());

  it('restarts a loop that crashes, counts the restart, logs why, and reports it running again', async () => {
    const { logger, lines } = captureLogger();
    const registry = createMetricsRegistry('spec');
    supervisor = createSupervisor({ logger, registry, backoff: { initialMs: 1, maxMs: 5 } });
    let starts = 0;
    supervisor.supervise('consumer', async ({ signal, running }: LoopContext) => {
      starts += 1;
      if (starts === 1) throw new Error('Failed to find group coordinator');
      running();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    await until(() => supervisor?.statuses()[0]?.state === 'running');
    expect(supervisor.statuses()[0]).toMatchObject({ name: 'consumer', state: 'running', restarts: 1 });
    expect(supervisor.down()).toEqual([]);
    expect(await registry.getSingleMetricAsString('bulkhead_loop_restarts_total')).toContain('bulkhead_loop_restarts_total{loop="consumer",service="spec"} 1');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'warn', loop: 'consumer', msg: 'consumer failed: restarting it', err: expect.objectContaining({ message: 'Failed to find group coordinator' }) }),
      expect.objectContaining({ level: 'info', loop: 'consumer', msg: 'consumer recovered' }),
    ]);
  });

  it('backs off a loop that keeps failing, says so once per interval, and keeps it down since its first failure', async () => {
    const { logger, lines } = captureLogger();
    supervisor = createSupervisor({ logger, registry: createMetricsRegistry('spec'), backoff: { initialMs: 1, maxMs: 40 }, random: () => 1 });
    const startedAt: number[] = [];
    supervisor.supervise('relay:shard-0', async ({ running }) => {
      startedAt.push(Date.now());
      if (startedAt.length === 1) {
        running();
        throw new Error('broker down');
      }
      throw new Error('topic audit.events does not exist');
    });
    await until(() => startedAt.length >= 8);
    const [status] = supervisor.down();
    expect(status).toMatchObject({ state: 'restarting', reason: 'Error: topic audit.events does not exist' });
    const gaps = startedAt.slice(1).map((at, index) => at - (startedAt[index] as number));
    // 1, 2, 4, 8, 16, 32, 40 ms ceilings: no spinning.
    expect(gaps.slice(-2).every((gap) => gap >= 30)).toBe(true);
    const warned = lines().filter((line) => line['level'] === 'warn');
    expect(warned.map((line) => (line['err'] as { message: string }).message)).toEqual(['broker down', 'topic audit.events does not exist']);
    expect(status?.since.getTime()).toBeLessThanOrEqual(startedAt[1] as number);
  });

  it('mirrors the loops on gRPC health: the server NOT_SERVING while a loop that affects readiness is down', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger, registry: createMetricsRegistry('spec'), backoff: { initialMs: 1, maxMs: 5 } });
    const health = new Map<string, string>();
    let healthy = false;
    supervisor.supervise('sampler', async () => Promise.reject(new Error('no broker')), { affectsReadiness: false });
    supervisor.supervise('consumer', async ({ signal, running }) => {
      if (!healthy) throw new Error('no broker');
      running();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    supervisor.reportTo({ setStatus: (service, status) => health.set(service, status) });
    expect(Object.fromEntries(health)).toEqual({ '': 'NOT_SERVING', 'loop/consumer': 'NOT_SERVING', 'loop/sampler': 'NOT_SERVING' });
    healthy = true;
    await until(() => health.get('loop/consumer') === 'SERVING');
    expect(Object.fromEntries(health)).toEqual({ '': 'SERVING', 'loop/consumer': 'SERVING', 'loop/sampler': 'NOT_SERVING' });
  });

  it('refuses a second loop of the same name', () => {
    supervisor = createSupervisor({ logger: captureLogger().logger, registry: createMetricsRegistry('spec'), backoff: { initialMs: 1, maxMs: 5 } });
    const body = async ({ signal }: LoopContext): Promise<void> => void (await new Promise((resolve) => signal.addEventListener('abort', resolve)));
    supervisor.supervise('scheduler', body);
    expect(() => supervisor?.supervise('scheduler', body)).toThrow('a loop named "scheduler" is already supervised');
  });
});
