import type { TenantDatabase } from '@bulkhead/database';
import type { Logger } from '@bulkhead/observability';
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
}

export interface Scheduler {
  /** The tenant has work now (a run started, resumed or reset here): it is tried at once, without waiting for the next scan. */
  notify(tenantId: string): void;
  /** Stops claiming; waits up to `graceMs` for running steps (the rest are reclaimed after their lease). */
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
  /** Agent calls in flight, one per slot. */
  const running = new Set<Promise<void>>();
  /** Agents' outcomes being stored. */
  const recording = new Set<Promise<void>>();
  const ready: StepClaim[] = [];
  const ahead = Math.max(1, Math.floor(options.concurrency / 2));
  const withWork = new Set<string>();
  const lastServed = new Map<string, number>();
  let tick = 0;
  let stopping = false;
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

  /** Calls the step's agent, renewing the lease while it runs. */
  const invoke = async (claim: StepClaim): Promise<AgentOutcome> => {
    const renew = setInterval(() => {
      db.withTenant({ tenantId: claim.tenantId }, (tx) => renewLease(tx, claim, options.owner, options.leaseMs)).catch((err: unknown) =>
        logger.warn({ err, runId: claim.runId }, 'lease renewal failed'),
      );
    }, Math.max(1000, Math.floor(options.leaseMs / 3)));
    try {
      return await options.agents.invoke({
        tenantId: claim.tenantId,
        agentId: claim.step.agentId,
        input: claim.input,
        executionKey: `${claim.executionId}/${claim.failures}`,
        timeoutMs: claim.step.timeoutMs,
      });
    } finally {
      clearInterval(renew);
    }
  };

  /**
   * Stores the agent's outcome. A failure to record (a shard down) leaves the lease to expire:
   * the step is claimed again and the agent replays the outcome it recorded under the same
   * execution key.
   */
  const record = async (claim: StepClaim, outcome: AgentOutcome): Promise<void> => {
    const recorded = await db.withTenant({ tenantId: claim.tenantId }, (tx) =>
      outcome.ok ? recordStepSucceeded(tx, claim, options.owner, outcome.output) : recordStepFailed(tx, claim, options.owner, outcome.error, outcome.retryable),
    );
    if (recorded === 'lost') logger.warn({ runId: claim.runId, stepId: claim.step.id }, 'step finished after its lease passed to another worker; its result was dropped');
  };

  /**
   * Runs a claimed step in a slot. The slot is the agent call: it is free again once the agent
   * has answered, and the outcome is recorded beside the next call (at most `concurrency`
   * records at once), so a slot never waits on the shard between one agent call and the next.
   */
  const launch = (claim: StepClaim) => {
    const call: Promise<void> = invoke(claim).then(
      (outcome) => {
        running.delete(call);
        const storing: Promise<void> = record(claim, outcome)
          .catch((err: unknown) => logger.error({ err, runId: claim.runId, stepId: claim.step.id }, 'step outcome could not be recorded; it is retried after its lease'))
          .finally(() => {
            recording.delete(storing);
            startReady();
            // Its run's next step, or a run waiting for the slot it freed, may be claimable now.
            withWork.add(claim.tenantId);
            nudge();
          });
        recording.add(storing);
        startReady();
        nudge();
      },
      (err: unknown) => {
        running.delete(call);
        logger.error({ err, runId: claim.runId, stepId: claim.step.id }, 'step execution failed; it is retried after its lease');
        startReady();
        nudge();
      },
    );
    running.add(call);
  };

  /** Starts claimed steps while slots are free (and records can keep up), oldest claim first. */
  const startReady = () => {
    while (running.size < options.concurrency && recording.size < options.concurrency) {
      const claim = ready.shift();
      if (claim === undefined) break;
      launch(claim);
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

  const loop = async () => {
    const room = () => options.concurrency + ahead - running.size - ready.length;
    while (!stopping) {
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
        if (stopping || room() <= 0) break;
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
  const looping = loop().catch((err: unknown) => logger.error({ err }, 'workflow scheduler stopped'));

  return {
    notify(tenantId) {
      withWork.add(tenantId);
      nudge();
    },
    async stop(graceMs) {
      stopping = true;
      nudge();
      await looping;
      // Steps claimed ahead start as slots free; all of them get the grace to finish.
      const finished = (async () => {
        while (running.size + recording.size > 0) await Promise.allSettled([...running, ...recording]);
      })();
      await Promise.race([finished, sleep(graceMs)]);
    },
  };
}
