import { closedLoop, medianByThroughput, percentile, runScenario, toMeasurement, type Scenario } from './harness';
import { formatReportTable } from './report';

describe('bench harness', () => {
  it('computes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(() => percentile([], 0.5)).toThrow(RangeError);
  });

  it('turns a run into throughput and latency', () => {
    const m = toMeasurement('w', { operations: 500, latenciesMs: [1, 2, 3, 4] }, 250);
    expect(m).toEqual({ name: 'w', operations: 500, durationMs: 250, opsPerSecond: 2000, p50Ms: 2, p95Ms: 4 });
  });

  it('picks the median round by throughput', () => {
    const rounds = [100, 300, 200].map((ops) => toMeasurement('w', { operations: ops }, 1000));
    expect(medianByThroughput(rounds).opsPerSecond).toBe(200);
  });

  it('runs baseline and subject in alternation and reports their ratio against the target', async () => {
    const order: string[] = [];
    let closed = false;
    const scenario: Scenario = {
      name: 'half-speed',
      description: 'a subject that does half the work of the baseline in the same time',
      prepare: async ({ durationMs }) => ({
        baseline: {
          name: 'fast',
          run: async () => {
            order.push('baseline');
            return closedLoop(durationMs, 2, () => new Promise((r) => setTimeout(r, 2)));
          },
        },
        subject: {
          name: 'slow',
          run: async () => {
            order.push('subject');
            return closedLoop(durationMs, 2, () => new Promise((r) => setTimeout(r, 5)));
          },
        },
        target: { minRatio: 0.9, meaning: 'subject within 10% of baseline' },
        close: async () => {
          closed = true;
        },
      }),
    };
    const report = await runScenario(scenario, { durationMs: 120, concurrency: 2, rounds: 2 });
    expect(order).toEqual(['baseline', 'subject', 'baseline', 'subject', 'baseline', 'subject']);
    expect(report.ratio).toBeGreaterThan(0.1);
    expect(report.ratio).toBeLessThan(0.9);
    expect(report.target?.met).toBe(false);
    expect(closed).toBe(true);
    const table = formatReportTable([report]);
    expect(table).toContain('half-speed');
    expect(table).toContain('MISSED');
  });
});
