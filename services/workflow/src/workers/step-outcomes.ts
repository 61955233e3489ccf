import { recordAuditEvent, type AuditActor } from '@bulkhead/audit';
import type { TenantTx } from '@bulkhead/database';
import type { JsonValue } from '@bulkhead/templates';
import { runsRepository, type RunRecord } from '../runs/runs.repository';
import type { StepClaim } from './claims.repository';

/** Who the audit log names for transitions the workers make. */
export const WORKER_ACTOR: AuditActor = { type: 'service', id: 'workflow' };

/** How a finished execution was recorded: `lost` when its lease had passed to another worker. */
export type Recorded = 'recorded' | 'lost';

/** The update ending an execution with the given columns, if `$3` (the owner) still holds its lease. */
const endExecutionSql = (set: string) =>
  `UPDATE workflow_step_executions SET ${set}, lease_owner = NULL, lease_until = NULL
    WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND lease_owner = $3`;

/** Ends the execution as `status` with the given columns, if `owner` still holds its lease. */
async function endExecution(tx: TenantTx, claim: StepClaim, owner: string, set: string, values: unknown[]): Promise<boolean> {
  const { rowCount } = await tx.query(endExecutionSql(set), [tx.tenantId, claim.executionId, owner, ...values]);
  return rowCount === 1;
}

/** Like endExecution, and in the same statement locks and reads its run: undefined when the lease had passed. */
function endExecutionLockingRun(tx: TenantTx, claim: StepClaim, owner: string, set: string, values: unknown[]): Promise<RunRecord | undefined> {
  return runsRepository.updateThenLockRun(tx, `${endExecutionSql(set)} RETURNING run_id`, [tx.tenantId, claim.executionId, owner, ...values]);
}

/**
 * The step succeeded: its output is stored, then — unless the run was reset meanwhile or has
 * ended (cancelled) — the next step is queued, or the run succeeds after its last step. A
 * paused run gets its next step queued too; it starts once the run is resumed.
 */
export async function recordStepSucceeded(tx: TenantTx, claim: StepClaim, owner: string, output: JsonValue): Promise<Recorded> {
  const run = await endExecutionLockingRun(tx, claim, owner, `status = 'succeeded', output = $4, error = NULL, finished_at = now()`, [JSON.stringify(output)]);
  if (run === undefined) return 'lost';
  if (run.generation !== claim.generation || (run.status !== 'running' && run.status !== 'paused')) return 'recorded';
  if (claim.stepIndex + 1 < run.steps.length) {
    runsRepository.queueStepAtCommit(tx, run, claim.stepIndex + 1);
    return 'recorded';
  }
  runsRepository.setStatusAtCommit(tx, run.id, 'succeeded');
  await recordAuditEvent(tx, { actor: WORKER_ACTOR, action: 'run.succeeded', resource: { type: 'run', id: run.id }, outcome: 'success' });
  return 'recorded';
}

/** The delay before attempt n + 1 after n failures: the step's backoff, doubled each time. */
export function backoffAfter(failures: number, backoffMs: number): number {
  return backoffMs * 2 ** Math.max(0, failures - 1);
}

/**
 * The attempt failed: with attempts left (and an error worth retrying) the execution waits for
 * its backoff; otherwise it fails, and with it the run (unless reset or ended meanwhile).
 */
export async function recordStepFailed(tx: TenantTx, claim: StepClaim, owner: string, error: string, retryable: boolean): Promise<Recorded> {
  const failures = claim.failures + 1;
  if (retryable && failures < claim.step.retry.maxAttempts) {
    const delayMs = backoffAfter(failures, claim.step.retry.backoffMs);
    const ended = await endExecution(
      tx,
      claim,
      owner,
      `status = 'pending', failures = $4, error = $5, next_attempt_at = now() + make_interval(secs => $6::double precision / 1000)`,
      [failures, error, delayMs],
    );
    return ended ? 'recorded' : 'lost';
  }
  const run = await endExecutionLockingRun(tx, claim, owner, `status = 'failed', failures = $4, error = $5, finished_at = now()`, [failures, error]);
  if (run === undefined) return 'lost';
  if (run.generation !== claim.generation || (run.status !== 'running' && run.status !== 'paused')) return 'recorded';
  runsRepository.setStatusAtCommit(tx, run.id, 'failed', { error: `step ${claim.step.id} failed: ${error}` });
  await recordAuditEvent(tx, {
    actor: WORKER_ACTOR,
    action: 'run.failed',
    resource: { type: 'run', id: run.id },
    outcome: 'failed',
    metadata: { stepId: claim.step.id, attempts: claim.attempts, error },
  });
  return 'recorded';
}
