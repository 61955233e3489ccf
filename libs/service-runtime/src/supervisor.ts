import type { HealthReporter } from '@bulkhead/grpc-kit';
import type { Logger, Registry } from '@bulkhead/observability';
import { Counter, Gauge } from 'prom-client';

/** How long a loop waits before restart number `n`: `initialMs` doubling per consecutive failure up to `maxMs`, jittered. */
export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
}

/**
 * Where a supervised loop is: `starting` (first start, not yet doing its work), `running`,
 * `restarting` (it failed and waits for, or is in, its next start), `stopped` (the supervisor stopped it).
 */
export type LoopState = 'starting' | 'running' | 'restarting' | 'stopped';

/** What a supervised loop reports: its state since when, how often it was restarted and why last. */
export interface LoopStatus {
  name: string;
  state: LoopState;
  /** When it entered `state`; for `starting` and `restarting`, when it went down. */
  since: Date;
  restarts: number;
  /** The last failure's message, while the loop is down. */
  reason?: string;
  /** Whether the loop being down makes the service not ready (false: reported, the service still serves). */
  affectsReadiness: boolean;
}

/** What a loop's body receives each time it is started. */
export interface LoopContext {
  /** Aborted when the supervisor stops: the body then ends its work and resolves. */
  signal: AbortSignal;
  /** Called once the body does its work (connected, subscribed, first batch done): the loop is `running`. */
  running(): void;
}

/**
 * A long-lived loop: resolves when `signal` aborts, rejects when it cannot go on. Resolving
 * before the abort counts as a failure too: a loop never ends on its own.
 */
export type LoopBody = (context: LoopContext) => Promise<void>;

export interface SuperviseOptions {
  /** Default true. False for best-effort work (the gateway's sampled audit events): reported, never a reason to take the pod out. */
  affectsReadiness?: boolean;
}

export interface SupervisorOptions {
  logger: Logger;
  registry: Registry;
  backoff: RestartBackoff;
  /** The least time between two log lines of one loop failing for the same reason again; default 60 000. */
  repeatLogIntervalMs?: number;
  random?: () => number;
}

/** Runs the long-lived loops of one process (ADR 0012), restarting each that fails. */
export interface Supervisor {
  /** Starts `body` under supervision as `name` (unique in the process: a metric label, a health entry). */
  supervise(name: string, body: LoopBody, options?: SuperviseOptions): void;
  statuses(): LoopStatus[];
  /** The loops not running now (starting or restarting). */
  down(): LoopStatus[];
  /**
   * Mirrors the loops on a gRPC server's health: `loop/<name>` per loop, and the whole server
   * (`''`) NOT_SERVING while a loop that affects readiness is down. Call it after the server
   * listens (listening sets every service SERVING).
   */
  reportTo(health: HealthReporter): void;
  /** Aborts every loop and waits for their bodies to end. */
  stop(): Promise<void>;
}

/** The delay before restart number `failures` (1, 2, …): exponential, capped, with ±50% jitter below the cap. */
export function backoffDelay(failures: number, backoff: RestartBackoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

const messageOf = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/**
 * The supervisor of a process's long-lived loops (the audit log consumer, the outbox relays, the
 * workflow scheduler, the gateway's audit producer, Redis subscriptions). A body that rejects
 * (or resolves while not stopped) is started again after {@link backoffDelay}; the count of
 * consecutive failures resets once a body has stayed running for `backoff.maxMs`, so a loop that
 * fails right after each start still backs off. Each restart counts in
 * `bulkhead_loop_restarts_total{loop}`; `bulkhead_loop_up{loop}` is 1 while it runs. A failure is
 * logged with its reason; the same reason again only once per `repeatLogIntervalMs` (a topic
 * deleted for an hour writes 60 lines, not thousands), with how many were left out; a recovery
 * is logged once with how long the loop was down.
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { logger, backoff } = options;
  const repeatLogIntervalMs = options.repeatLogIntervalMs ?? 60_000;
  const random = options.random ?? Math.random;
  const restarts = new Counter({
    name: 'bulkhead_loop_restarts_total',
    help: 'Restarts of a supervised long-lived loop after it failed, by loop.',
    labelNames: ['loop'] as const,
    registers: [options.registry],
  });
  const up = new Gauge({
    name: 'bulkhead_loop_up',
    help: 'Whether a supervised long-lived loop is running (1) or down (0), by loop.',
    labelNames: ['loop'] as const,
    registers: [options.registry],
  });
  const stopping = new AbortController();
  const loops = new Map<string, { status: LoopStatus; done: Promise<void> }>();
  const listeners: (() => void)[] = [];
  const changed = (): void => listeners.forEach((listener) => listener());

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener('abort', done);
    });

  const run = async (status: LoopStatus, body: LoopBody): Promise<void> => {
    const { name } = status;
    let failures = 0;
    let runningSince: number | undefined;
    let lastLogged: { reason: string; at: number; left: number } | undefined;
    const enter = (state: LoopState, since = new Date()): void => {
      status.state = state;
      status.since = since;
      up.set({ loop: name }, state === 'running' ? 1 : 0);
      changed();
    };
    up.set({ loop: name }, 0);
    while (!stopping.signal.aborted) {
      runningSince = undefined;
      let failure: unknown;
      try {
        await body({
          signal: stopping.signal,
          running: () => {
            if (stopping.signal.aborted || status.state === 'running') return;
            if (status.state === 'restarting') {
              logger.info({ loop: name, downMs: Date.now() - status.since.getTime(), restarts: status.restarts }, `${name} recovered`);
            }
            runningSince = Date.now();
            lastLogged = undefined;
            delete status.reason;
            enter('running');
          },
        });
        if (stopping.signal.aborted) break;
        failure = new Error('the loop ended on its own');
      } catch (err) {
        if (stopping.signal.aborted) break;
        failure = err;
      }
      failures = runningSince !== undefined && Date.now() - runningSince >= backoff.maxMs ? 1 : failures + 1;
      const reason = messageOf(failure);
      const retryInMs = backoffDelay(failures, backoff, random);
      status.restarts += 1;
      status.reason = reason;
      restarts.inc({ loop: name });
      if (status.state === 'running') enter('restarting');
      else if (status.state === 'starting') enter('restarting', status.since);
      const now = Date.now();
      if (lastLogged === undefined || lastLogged.reason !== reason || now - lastLogged.at >= repeatLogIntervalMs) {
        const fields = { loop: name, err: failure, restarts: status.restarts, downSince: status.since.toISOString(), retryInMs };
        logger.warn(lastLogged?.left ? { ...fields, repeatsNotLogged: lastLogged.left } : fields, `${name} failed: restarting it`);
        lastLogged = { reason, at: now, left: 0 };
      } else {
        lastLogged.left += 1;
      }
      await pause(retryInMs);
    }
    enter('stopped');
  };

  return {
    supervise(name, body, superviseOptions = {}) {
      if (loops.has(name)) throw new Error(`a loop named "${name}" is already supervised`);
      const status: LoopStatus = { name, state: 'starting', since: new Date(), restarts: 0, affectsReadiness: superviseOptions.affectsReadiness ?? true };
      loops.set(name, { status, done: run(status, body) });
      changed();
    },
    statuses: () => [...loops.values()].map(({ status }) => ({ ...status })),
    down: () => [...loops.values()].map(({ status }) => ({ ...status })).filter((status) => status.state === 'starting' || status.state === 'restarting'),
    reportTo(health) {
      const report = (): void => {
        const statuses = [...loops.values()].map(({ status }) => status);
        for (const status of statuses) health.setStatus(`loop/${status.name}`, status.state === 'running' ? 'SERVING' : 'NOT_SERVING');
        const down = statuses.some((status) => status.affectsReadiness && status.state !== 'running');
        health.setStatus('', down ? 'NOT_SERVING' : 'SERVING');
      };
      listeners.push(report);
      report();
    },
    async stop() {
      stopping.abort();
      await Promise.all([...loops.values()].map(({ done }) => done));
    },
  };
}
