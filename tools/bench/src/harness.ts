/** One measured run of a workload. */
export interface Measurement {
  name: string;
  operations: number;
  durationMs: number;
  opsPerSecond: number;
  /** Latency percentiles, when the workload timed its operations one by one. */
  p50Ms?: number;
  p95Ms?: number;
}

/**
 * What a workload reports back: how many operations it completed, and optionally each
 * operation's latency. The harness does the timing of the whole run.
 */
export interface WorkloadResult {
  operations: number;
  latenciesMs?: number[];
  /**
   * The workload's own timing of its operations, when its run also sets up work that must not
   * count (e.g. rows written before the pipeline under test is let at them); else the whole run.
   */
  timedMs?: number;
}

export interface Workload {
  name: string;
  run(): Promise<WorkloadResult>;
}

/**
 * A benchmark scenario: a baseline (the raw library or tool doing the same work) and a subject
 * (what Bulkhead adds on top), measured in the same process, one after the other, so the
 * ratio is meaningful on whatever machine runs it.
 */
export interface Scenario {
  name: string;
  description: string;
  /** Opens clients and seeds data; returns the two workloads and how to clean up. */
  prepare(options: ScenarioOptions): Promise<PreparedScenario>;
}

export interface ScenarioOptions {
  /** Roughly how long each workload should run, per round. */
  durationMs: number;
  /** Concurrent clients/requests, the same for baseline and subject. */
  concurrency: number;
}

export interface PreparedScenario {
  baseline: Workload;
  subject: Workload;
  /** What the issue asks for, if anything: a ratio (subject/baseline ≥ threshold) or a p95 latency of the subject. */
  target?: Target;
  close(): Promise<void>;
}

export type Target = { meaning: string } & ({ minRatio: number } | { maxSubjectP95Ms: number });

export interface ScenarioReport {
  scenario: string;
  description: string;
  rounds: number;
  baseline: Measurement;
  subject: Measurement;
  /** subject throughput / baseline throughput, from the median round of each. */
  ratio: number;
  target?: Target & { met: boolean };
}

/** Throughput and latency percentiles of one timed run. */
export function toMeasurement(name: string, result: WorkloadResult, durationMs: number): Measurement {
  const measurement: Measurement = {
    name,
    operations: result.operations,
    durationMs: round(durationMs),
    opsPerSecond: round((result.operations * 1000) / Math.max(durationMs, 1)),
  };
  if (result.latenciesMs !== undefined && result.latenciesMs.length > 0) {
    const sorted = [...result.latenciesMs].sort((a, b) => a - b);
    measurement.p50Ms = round(percentile(sorted, 0.5));
    measurement.p95Ms = round(percentile(sorted, 0.95));
  }
  return measurement;
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The median element by throughput: one noisy round does not decide the ratio. */
export function medianByThroughput(measurements: readonly Measurement[]): Measurement {
  const sorted = [...measurements].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median === undefined) throw new RangeError('no measurements');
  return median;
}

function targetMet(target: Target, ratio: number, subject: Measurement): boolean {
  if ('minRatio' in target) return ratio >= target.minRatio;
  return subject.p95Ms !== undefined && subject.p95Ms <= target.maxSubjectP95Ms;
}

async function timed(workload: Workload): Promise<Measurement> {
  const started = performance.now();
  const result = await workload.run();
  return toMeasurement(workload.name, result, result.timedMs ?? performance.now() - started);
}

/**
 * Runs a prepared scenario: a warm-up of each workload, then `rounds` alternating rounds of
 * baseline and subject (alternating spreads machine noise over both), and reports the median
 * round of each and their ratio.
 */
export async function runScenario(
  scenario: Scenario,
  options: ScenarioOptions & { rounds: number },
): Promise<ScenarioReport> {
  const prepared = await scenario.prepare(options);
  try {
    await prepared.baseline.run();
    await prepared.subject.run();
    const baselineRounds: Measurement[] = [];
    const subjectRounds: Measurement[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      baselineRounds.push(await timed(prepared.baseline));
      subjectRounds.push(await timed(prepared.subject));
    }
    const baseline = medianByThroughput(baselineRounds);
    const subject = medianByThroughput(subjectRounds);
    const ratio = round(subject.opsPerSecond / baseline.opsPerSecond, 3);
    const report: ScenarioReport = {
      scenario: scenario.name,
      description: scenario.description,
      rounds: options.rounds,
      baseline,
      subject,
      ratio,
    };
    if (prepared.target !== undefined) report.target = { ...prepared.target, met: targetMet(prepared.target, ratio, subject) };
    return report;
  } finally {
    await prepared.close();
  }
}

/**
 * Runs `operation` from `concurrency` loops until `durationMs` has passed, timing each call.
 * The shape most scenarios need: a fixed-time closed loop, like pgbench's `-T` with `-c`.
 */
export async function closedLoop(
  durationMs: number,
  concurrency: number,
  operation: (worker: number) => Promise<void>,
): Promise<WorkloadResult> {
  const deadline = performance.now() + durationMs;
  const latenciesMs: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await operation(worker);
        latenciesMs.push(performance.now() - started);
      }
    }),
  );
  return { operations: latenciesMs.length, latenciesMs };
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
