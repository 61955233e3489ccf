import { sendBatch, uuidv7, type TenantTx } from '@bulkhead/database';
import { limitsOf, PLAN_LIMITS } from '@bulkhead/permissions';
import { renderTemplate, type JsonValue } from '@bulkhead/templates';
import type { Pool } from 'pg';
import type { WorkflowStep } from '../definitions/step-definitions';

/** One claimed step execution: what the worker runs and how it reports back. */
export interface StepClaim {
  tenantId: string;
  executionId: string;
  runId: string;
  generation: number;
  stepIndex: number;
  step: WorkflowStep;
  input: JsonValue;
  attempts: number;
  failures: number;
}

/** The tenant id of the scheduler's scan: the nil UUID, which no tenant has (uuidv7 ids never are). */
const NO_TENANT = '00000000-0000-0000-0000-000000000000';

/**
 * The tenants of one shard with work: pending runs (maybe waiting for a slot), or runnable
 * steps of running runs (due, or with an expired lease). Read through the scheduler's policy,
 * in a transaction that is no tenant's (ADR 0006); only tenant ids leave it.
 */
export async function tenantsWithWork(pool: Pool): Promise<string[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // One round trip: a read-only transaction whose settings end with it. On a failure the
    // connection is discarded, with the transaction it left open.
    const [, , found] = await sendBatch(client, [
      { text: 'BEGIN READ ONLY', values: [] },
      { text: SCHEDULER_SETTINGS, values: [NO_TENANT], name: 'bulkhead_scheduler_settings' },
      { text: TENANTS_WITH_WORK, values: [], name: 'bulkhead_tenants_with_work' },
      { text: 'COMMIT', values: [] },
    ]);
    return (found?.rows ?? []).map((row) => String(row['tenant_id']));
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.release(broken);
  }
}

const SCHEDULER_SETTINGS = `SELECT set_config('app.workflow_scheduler', 'on', true), set_config('app.tenant_id', $1, true)`;
const TENANTS_WITH_WORK = `SELECT tenant_id FROM workflow_runs WHERE status = 'pending'
   UNION
  SELECT e.tenant_id FROM workflow_step_executions e
    JOIN workflow_runs r ON r.tenant_id = e.tenant_id AND r.id = e.run_id AND r.generation = e.generation
   WHERE r.status = 'running'
     AND ((e.status = 'pending' AND e.next_attempt_at <= now()) OR (e.status = 'running' AND e.lease_until < now()))`;

/** The most runs one promotion can start: the largest plan's concurrent-run limit (ids are made for each). */
const MOST_SLOTS = Math.max(...Object.values(PLAN_LIMITS).map((limits) => limits.concurrentRuns));

/**
 * Starts pending runs while the tenant is under its plan's concurrent-run limit (oldest first),
 * and queues their first steps, in one statement. The tenant's limit row is locked first, so two
 * workers cannot both fill its last slot. Every start writes that row in the run's transaction
 * (runs.service.ts); without one the default plan's limit applies. MATERIALIZED: `picked` once.
 * As an IN (…) subquery, a rescan could pick (and start) more than the free slots, SKIP LOCKED
 * passing over the rows it had itself just locked.
 */
const PROMOTE_PENDING_RUNS = `WITH slots AS (SELECT concurrent_runs FROM workflow_tenant_limits WHERE tenant_id = $1 FOR UPDATE),
  running AS (SELECT count(*) AS n FROM workflow_runs WHERE tenant_id = $1 AND status = 'running'),
  picked AS MATERIALIZED (
    SELECT id FROM workflow_runs WHERE tenant_id = $1 AND status = 'pending'
     ORDER BY created_at, id
     LIMIT GREATEST(0, coalesce((SELECT concurrent_runs FROM slots), $2) - (SELECT n FROM running))
     FOR UPDATE SKIP LOCKED),
  started AS (
    UPDATE workflow_runs r SET status = 'running', updated_at = now() FROM picked
     WHERE r.tenant_id = $1 AND r.id = picked.id
    RETURNING r.id, r.generation, r.steps -> 0 ->> 'id' AS step_id),
  numbered AS (SELECT started.*, row_number() OVER (ORDER BY started.id) AS n FROM started WHERE step_id IS NOT NULL)
INSERT INTO workflow_step_executions (tenant_id, id, run_id, generation, step_index, step_id, status)
SELECT $1, ($3::uuid[])[numbered.n], numbered.id, numbered.generation, 0, numbered.step_id, 'pending' FROM numbered
ON CONFLICT (tenant_id, run_id, generation, step_index) DO NOTHING`;

/** The tenant's oldest runnable steps of running runs (due, or with an expired lease), locked. */
const CLAIMABLE = `SELECT e.id, e.run_id, e.generation, e.step_index, e.attempts, e.failures, r.steps, r.input
   FROM workflow_step_executions e
   JOIN workflow_runs r ON r.tenant_id = e.tenant_id AND r.id = e.run_id AND r.generation = e.generation
  WHERE e.tenant_id = $1 AND r.status = 'running'
    AND ((e.status = 'pending' AND e.next_attempt_at <= now()) OR (e.status = 'running' AND e.lease_until < now()))
  ORDER BY e.next_attempt_at, e.id
  LIMIT $2
  FOR UPDATE OF e SKIP LOCKED`;

interface ClaimableRow {
  id: string;
  run_id: string;
  generation: number;
  step_index: number;
  attempts: number;
  failures: number;
  steps: WorkflowStep[];
  input: JsonValue;
}

/** The outputs of the succeeded steps of each claimed run's generation, by run id then step id. */
async function earlierOutputs(tx: TenantTx, rows: readonly ClaimableRow[]): Promise<Map<string, Record<string, { output: JsonValue }>>> {
  const outputs = new Map<string, Record<string, { output: JsonValue }>>();
  const later = rows.filter((row) => row.step_index > 0);
  if (later.length === 0) return outputs;
  const { rows: earlier } = await tx.query<{ run_id: string; step_id: string; output: JsonValue }>(
    `SELECT e.run_id, e.step_id, e.output FROM workflow_step_executions e
       JOIN unnest($2::uuid[], $3::int[]) AS c(run_id, generation) ON e.run_id = c.run_id AND e.generation = c.generation
      WHERE e.tenant_id = $1 AND e.status = 'succeeded'`,
    [tx.tenantId, later.map((row) => row.run_id), later.map((row) => row.generation)],
  );
  for (const { run_id, step_id, output } of earlier) outputs.set(run_id, { ...outputs.get(run_id), [step_id]: { output } });
  return outputs;
}

/**
 * In the tenant's transaction: starts what its concurrency limit allows, then claims up to `max`
 * of its oldest runnable steps (FOR UPDATE SKIP LOCKED), renders each step's input from the run
 * input and the earlier steps' outputs, and leases them to `owner`, in one statement per stage
 * however many it claims.
 */
export async function claimSteps(tx: TenantTx, owner: string, leaseMs: number, max: number): Promise<StepClaim[]> {
  // One round trip: the claim is written right behind the promotion and sees the steps it queued.
  const [, { rows }] = await Promise.all([
    tx.query(PROMOTE_PENDING_RUNS, [tx.tenantId, limitsOf('').concurrentRuns, Array.from({ length: MOST_SLOTS }, () => uuidv7())]),
    tx.query<ClaimableRow>(CLAIMABLE, [tx.tenantId, max]),
  ]);
  if (rows.length === 0) return [];
  const outputs = await earlierOutputs(tx, rows);
  const claims: StepClaim[] = [];
  for (const row of rows) {
    const step = row.steps[row.step_index];
    if (step === undefined) continue;
    const scope: JsonValue = { run: { input: row.input }, steps: outputs.get(row.run_id) ?? {} };
    claims.push({
      tenantId: tx.tenantId,
      executionId: row.id,
      runId: row.run_id,
      generation: row.generation,
      stepIndex: row.step_index,
      step,
      input: renderTemplate(step.input, scope),
      attempts: row.attempts + 1,
      failures: row.failures,
    });
  }
  // Nothing in this transaction reads the lease back: it is written with COMMIT, the rows
  // locked by the claim meanwhile.
  tx.atCommit(
    `UPDATE workflow_step_executions e
        SET status = 'running', attempts = e.attempts + 1, input = c.input::jsonb, lease_owner = $4,
            lease_until = now() + make_interval(secs => $5::double precision / 1000), started_at = coalesce(e.started_at, now())
       FROM unnest($2::uuid[], $3::text[]) AS c(id, input)
      WHERE e.tenant_id = $1 AND e.id = ANY($2::uuid[]) AND e.id = c.id`,
    [tx.tenantId, claims.map((claim) => claim.executionId), claims.map((claim) => JSON.stringify(claim.input)), owner, leaseMs],
  );
  return claims;
}

/** Extends the lease while the step runs; false once another worker took it over. */
export async function renewLease(tx: TenantTx, claim: StepClaim, owner: string, leaseMs: number): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE workflow_step_executions SET lease_until = now() + make_interval(secs => $4::double precision / 1000)
      WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND lease_owner = $3`,
    [tx.tenantId, claim.executionId, owner, leaseMs],
  );
  return rowCount === 1;
}
