import type { TenantDatabase } from '@bulkhead/database';
import type { Logger } from '@bulkhead/observability';
import type { Pool } from 'pg';
import type { AgentInvoker, AgentOutcome } from '../agents/agents';
import { claimNextStep, renewLease, tenantsWithWork, type StepClaim } from './claims.repository';
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
  /** Steps running now. */
  readonly inFlight: number;
  /** Stops claiming; waits up to `graceMs` for running steps (the rest are reclaimed after their lease). */
  stop(graceMs: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The workers of one process (ADR 0006). Each pass scans every shard for tenants with work,
 * orders them by when they were last served (never-served first), and claims in rounds of at
 * most ONE step per tenant until the process's concurrency is used: round-robin across tenants,
 * so a tenant with a thousand queued runs delays another tenant's step by at most one claim per
 * other busy tenant. Within a tenant, its plan's concurrent-run limit decides how many runs move.
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const { db, logger } = options;
  const running = new Set<Promise<void>>();
  const lastServed = new Map<string, number>();
  let tick = 0;
  let stopping = false;

  const execute = async (claim: StepClaim): Promise<void> => {
    const ctx = { tenantId: claim.tenantId };
    const renew = setInterval(() => {
      db.withTenant(ctx, (tx) => renewLease(tx, claim, options.owner, options.leaseMs)).catch((err: unknown) => logger.warn({ err, runId: claim.runId }, 'lease renewal failed'));
    }, Math.max(1000, Math.floor(options.leaseMs / 3)));
    let outcome: AgentOutcome;
    try {
      outcome = await options.agents.invoke({
        tenantId: claim.tenantId,
        agentId: claim.step.agentId,
        input: claim.input,
        executionKey: `${claim.executionId}/${claim.failures}`,
        timeoutMs: claim.step.timeoutMs,
      });
    } finally {
      clearInterval(renew);
    }
    // A failure to record (a shard down) leaves the lease to expire: the step is claimed again
    // and the agent replays the outcome it recorded under the same execution key.
    const recorded = await db.withTenant(ctx, (tx) =>
      outcome.ok ? recordStepSucceeded(tx, claim, options.owner, outcome.output) : recordStepFailed(tx, claim, options.owner, outcome.error, outcome.retryable),
    );
    if (recorded === 'lost') logger.warn({ runId: claim.runId, stepId: claim.step.id }, 'step finished after its lease passed to another worker; its result was dropped');
  };

  const launch = (claim: StepClaim) => {
    const task = execute(claim)
      .catch((err: unknown) => logger.error({ err, runId: claim.runId, stepId: claim.step.id }, 'step execution could not be recorded; it is retried after its lease'))
      .finally(() => running.delete(task));
    running.add(task);
  };

  const scan = async (): Promise<string[]> => {
    const found = await Promise.all(
      options.scanPools.map((pool) => tenantsWithWork(pool).catch((err: unknown) => (logger.warn({ err }, 'scheduler scan of a shard failed'), [] as string[]))),
    );
    return [...new Set(found.flat())].sort((a, b) => (lastServed.get(a) ?? 0) - (lastServed.get(b) ?? 0));
  };

  const loop = async () => {
    while (!stopping) {
      if (running.size >= options.concurrency) {
        await Promise.race(running);
        continue;
      }
      // Rounds of one claim per tenant, least recently served first, until the slots free at
      // the start of the pass are used or no tenant has a step left: a lone busy tenant fills
      // them, several busy tenants get one step each in turn. The budget ends the pass, so the
      // next scan finds a tenant that has just queued work and serves it first.
      let claimed = 0;
      const budget = options.concurrency - running.size;
      let waiting = await scan();
      while (waiting.length > 0 && !stopping && running.size < options.concurrency && claimed < budget) {
        const stillWaiting: string[] = [];
        for (const tenantId of waiting) {
          if (stopping || running.size >= options.concurrency || claimed >= budget) break;
          const claim = await db
            .withTenant({ tenantId }, (tx) => claimNextStep(tx, options.owner, options.leaseMs))
            .catch((err: unknown) => (logger.warn({ err, tenantId }, 'claiming a step failed'), undefined));
          if (claim === undefined) continue;
          lastServed.set(tenantId, ++tick);
          claimed += 1;
          stillWaiting.push(tenantId);
          launch(claim);
        }
        waiting = stillWaiting;
      }
      if (claimed === 0) await sleep(options.pollIntervalMs);
    }
  };
  const looping = loop().catch((err: unknown) => logger.error({ err }, 'workflow scheduler stopped'));

  return {
    get inFlight() {
      return running.size;
    },
    async stop(graceMs) {
      stopping = true;
      await looping;
      await Promise.race([Promise.allSettled([...running]), sleep(graceMs)]);
    },
  };
}
