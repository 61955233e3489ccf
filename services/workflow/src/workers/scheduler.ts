import type { TenantDatabase } from '@bulkhead/database';
import type { Logger } from '@bulkhead/observability';
import type { Supervisor } from '@bulkhead/service-runtime';
import type { Pool } from 'pg';
import type { AgentInvoker, AgentOutcome } from '../agents/agents';
import { claimSteps, renewLease, tenantsWithWork, type StepClaim } from './claims.repository';
import { recordStepFailed, recordStepSucceeded } from './step-outcomes';

export interface SchedulerOptions {
  db: TenantDatabase;
  /** One small pool per shard, as the service role, for the scheduler's scan (no tenant set). */
  scanPools: readonly Pool[];
  agents: AgentInvoker;
  /** This worker's name in leases (unique per process). */
  owner: string;
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  logger: Logger;
  /** Runs the claiming loop as `workflow-scheduler`, restarting it if it fails. */
  supervisor: Supervisor;
}

/** The scheduler's supervised loop: in `/readyz`, gRPC health (`loop/workflow-scheduler`) and `bulkhead_loop_restarts_total`. */
export const SCHEDULER_LOOP = 'workflow-scheduler';

export interface Scheduler {
  /** The tenant has work now (a run started, resumed or reset here): it is tried at once, without waiting for the next scan. */
  notify(tenantId: string): void;
  /** Once the supervisor has stopped claiming: waits up to `graceMs` for running steps (the rest are reclaimed after their lease). */
  stop(graceMs: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The workers of one process (ADR 0006). They keep the set of tenants believed to have work:
 * every shard is scanned for them at most once per poll interval, a tenant whose step just
 * finished here or whose run was started here joins at once, and a tenant leaves when a claim
 * finds nothing. Each pass orders the set by when a tenant was last served (never-served first)
 * and gives each an equal share of the free slots, at least one, claimed in one transaction:
 * a lone busy tenant fills the free slots at once, several busy tenants take turns, and a
 * tenant that has just queued is served in the first pass with a free slot. Within a tenant,
 * its plan's concurrent-run limit decides how many runs move.
 *
 * Up to half the concurrency again is claimed ahead (`ready`): a finishing step hands its slot
 * to a claimed one at once, and claiming, a few round trips, overlaps the agents' work instead
 * of sitting between one step and the next. A claimed step counts as started (its lease runs).
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const { db, logger } = options;
  /** Agent calls in flight, and the slots (steps) they hold. */
  const running = new Set<Promise<void>>();
  let busy = 0;
  /** Agents' outcomes being stored, and how many steps they record. */
  const recording = new Set<Promise<void>>();
  let storing = 0;
  const ready: StepClaim[] = [];
  const ahead = Math.max(1, Math.floor(options.concurrency / 2));
  const withWork = new Set<string>();
  const lastServed = new Map<string, number>();
  let tick = 0;
  let lastScanAt = Number.NEGATIVE_INFINITY;
  let wake: (() => void) | undefined;

  const nudge = () => wake?.();
  /** Waits up to `ms`, or until a step finishes or a tenant is notified. */
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => (wake = undefined, resolve()), ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  /** Calls the steps' agent in one request, renewing their leases while it runs. */
  const invoke = async (claims: readonly StepClaim[]): Promise<AgentOutcome[]> => {
    const [first] = claims as [StepClaim, ...StepClaim[]];
    const ctx = { tenantId: first.tenantId };
    const renew = setInterval(() => {
      db.withTenant(ctx, (tx) => Promise.all(claims.map((claim) => renewLease(tx, claim, options.owner, options.leaseMs)))).catch((err: unknown) =>
        logger.warn({ err, runIds: claims.map((claim) => claim.runId) }, 'lease renewal failed'),
      );
    }, Math.max(1000, Math.floor(options.leaseMs / 3)));
    try {
      return await options.agents.invoke({
        tenantId: first.tenantId,
        agentId: first.step.agentId,
        timeoutMs: first.step.timeoutMs,
        items: claims.map((claim) => ({ input: claim.input, executionKey: `${claim.executionId}/${claim.failures}` })),
      });
    } finally {
      clearInterval(renew);
    }
  };

  /**
   * Stores the agent's outcomes, in one transaction. A failure to record (a shard down) leaves
   * the leases to expire: the steps are claimed again and the agent replays the outcomes it
   * recorded under the same execution keys.
   */
  const record = async (claims: readonly StepClaim[], outcomes: readonly AgentOutcome[]): Promise<void> => {
    const [first] = claims as [StepClaim, ...StepClaim[]];
    const recorded = await db.withTenant({ tenantId: first.tenantId }, (tx) =>
      Promise.all(
        claims.map((claim, index) => {
          // The invoker answers one outcome per item, in order.
          const outcome = outcomes[index] as AgentOutcome;
          return outcome.ok ? recordStepSucceeded(tx, claim, options.owner, outcome.output) : recordStepFailed(tx, claim, options.owner, outcome.error, outcome.retryable);
        }),
      ),
    );
    recorded.forEach((result, index) => {
      const claim = claims[index] as StepClaim;
      if (result === 'lost') logger.warn({ runId: claim.runId, stepId: claim.step.id }, 'step finished after its lease passed to another worker; its result was dropped');
    });
  };

  /**
   * Runs claimed steps of one tenant and agent in one slot each, with one agent call. The slots
   * are the agent's work: they are free again once the agent has answered, and the outcomes are
   * recorded beside the next calls (at most `concurrency` steps being recorded), so a slot
   * never waits on the shard between one agent call and the next.
   */
  const launch = (claims: readonly StepClaim[]) => {
    const tenantId = (claims[0] as StepClaim).tenantId;
    const runIds = claims.map((claim) => claim.runId);
    busy += claims.length;
    const call: Promise<void> = invoke(claims).then(
      (outcomes) => {
        running.delete(call);
        busy -= claims.length;
        storing += claims.length;
        const stored: Promise<void> = record(claims, outcomes)
          .catch((err: unknown) => logger.error({ err, runIds }, 'step outcomes could not be recorded; the steps are retried after their leases'))
          .finally(() => {
            recording.delete(stored);
            storing -= claims.length;
            startReady();
            // Their runs' next steps, or runs waiting for the slots they freed, may be claimable now.
            withWork.add(tenantId);
            nudge();
          });
        recording.add(stored);
        startReady();
        nudge();
      },
      (err: unknown) => {
        running.delete(call);
        busy -= claims.length;
        logger.error({ err, runIds }, 'step execution failed; the steps are retried after their leases');
        startReady();
        nudge();
      },
    );
    running.add(call);
  };

  /** Whether two claims can share an agent call: the same tenant, agent and timeout. */
  const sameCall = (a: StepClaim, b: StepClaim) => a.tenantId === b.tenantId && a.step.agentId === b.step.agentId && a.step.timeoutMs === b.step.timeoutMs;

  /**
   * Starts claimed steps while slots are free (and records keep up), oldest claim first, each
   * with the later claims that can share its agent call.
   */
  const startReady = () => {
    while (busy < options.concurrency && storing < options.concurrency) {
      const first = ready.shift();
      if (first === undefined) break;
      const batch = [first];
      for (let index = 0; index < ready.length && busy + batch.length < options.concurrency; ) {
        const next = ready[index] as StepClaim;
        if (sameCall(first, next)) batch.push(...ready.splice(index, 1));
        else index += 1;
      }
      launch(batch);
    }
  };

  const scan = async (): Promise<void> => {
    const found = await Promise.all(
      options.scanPools.map((pool) => tenantsWithWork(pool).catch((err: unknown) => (logger.warn({ err }, 'scheduler scan of a shard failed'), [] as string[]))),
    );
    for (const tenantId of found.flat()) withWork.add(tenantId);
  };

  const claimFor = (tenantId: string, max: number): Promise<StepClaim[]> =>
    db
      .withTenant({ tenantId }, (tx) => claimSteps(tx, options.owner, options.leaseMs, max))
      .catch((err: unknown) => (logger.warn({ err, tenantId }, 'claiming steps failed'), []));

  const loop = async (signal: AbortSignal) => {
    const room = () => options.concurrency + ahead - busy - ready.length;
    signal.addEventListener('abort', nudge, { once: true });
    while (!signal.aborted) {
      if (room() <= 0) {
        await idle(options.pollIntervalMs);
        continue;
      }
      if (performance.now() - lastScanAt >= options.pollIntervalMs) {
        lastScanAt = performance.now();
        await scan();
      }
      if (withWork.size === 0) {
        await idle(Math.max(0, lastScanAt + options.pollIntervalMs - performance.now()));
        continue;
      }
      const turn = [...withWork].sort((a, b) => (lastServed.get(a) ?? 0) - (lastServed.get(b) ?? 0));
      const share = Math.max(1, Math.floor(room() / turn.length));
      for (const tenantId of turn) {
        if (signal.aborted || room() <= 0) break;
        const claims = await claimFor(tenantId, Math.min(share, room()));
        if (claims.length === 0) {
          withWork.delete(tenantId);
          continue;
        }
        lastServed.set(tenantId, ++tick);
        ready.push(...claims);
        startReady();
      }
    }
  };
  // Claiming failures (a shard down) are retried by the loop itself; anything else it throws
  // ends it, and the supervisor starts it again with the tenants it knew (ADR 0012).
  options.supervisor.supervise(SCHEDULER_LOOP, async ({ signal, running }) => {
    running();
    await loop(signal);
  });

  return {
    notify(tenantId) {
      withWork.add(tenantId);
      nudge();
    },
    async stop(graceMs) {
      // Steps claimed ahead start as slots free; all of them get the grace to finish.
      const finished = (async () => {
        while (running.size + recording.size > 0) await Promise.allSettled([...running, ...recording]);
      })();
      await Promise.race([finished, sleep(graceMs)]);
    },
  };
}
