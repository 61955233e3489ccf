import { uuidv7, type TenantTx } from '@bulkhead/database';
import { createdSortKeySql, parseCreatedSortKey } from '@bulkhead/grpc-kit';
import type { JsonValue } from '@bulkhead/templates';
import type { WorkflowStep } from '../definitions/step-definitions';

export const RUN_STATUSES = ['pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRecord {
  id: string;
  workflowId: string;
  projectId: string;
  workflowVersion: number;
  steps: WorkflowStep[];
  status: RunStatus;
  input: JsonValue;
  generation: number;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  sortKey: string;
}

export interface StepExecutionRecord {
  id: string;
  runId: string;
  generation: number;
  stepIndex: number;
  stepId: string;
  status: StepStatus;
  attempts: number;
  failures: number;
  input: JsonValue | null;
  output: JsonValue | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface RunRow {
  id: string;
  workflow_id: string;
  project_id: string;
  workflow_version: number;
  steps: WorkflowStep[];
  status: RunStatus;
  input: JsonValue;
  generation: number;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  sort_at: string;
}

interface ExecutionRow {
  id: string;
  run_id: string;
  generation: number;
  step_index: number;
  step_id: string;
  status: StepStatus;
  attempts: number;
  failures: number;
  input: JsonValue | null;
  output: JsonValue | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

const RUN_COLUMNS = `id, workflow_id, project_id, workflow_version, steps, status, input, generation, error, created_at, updated_at, finished_at,
  ${createdSortKeySql()} AS sort_at`;
const EXECUTION_COLUMNS = 'id, run_id, generation, step_index, step_id, status, attempts, failures, input, output, error, started_at, finished_at';

interface StatusOptions {
  error?: string | null;
  newGeneration?: boolean;
}

const SET_STATUS = `UPDATE workflow_runs SET status = $3, updated_at = now(),
        finished_at = CASE WHEN $4 THEN now() ELSE NULL END,
        error = CASE WHEN $5 THEN $6 ELSE error END,
        generation = generation + CASE WHEN $7 THEN 1 ELSE 0 END
  WHERE tenant_id = $1 AND id = $2`;

function setStatusValues(tx: TenantTx, id: string, status: RunStatus, options: StatusOptions): unknown[] {
  const final = status === 'succeeded' || status === 'failed' || status === 'cancelled';
  return [tx.tenantId, id, status, final, options.error !== undefined, options.error ?? null, options.newGeneration === true];
}

const toRun = (row: RunRow): RunRecord => ({
  id: row.id,
  workflowId: row.workflow_id,
  projectId: row.project_id,
  workflowVersion: row.workflow_version,
  steps: row.steps,
  status: row.status,
  input: row.input,
  generation: row.generation,
  error: row.error,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
  sortKey: `${row.sort_at}|${row.id}`,
});

export const toExecution = (row: ExecutionRow): StepExecutionRecord => ({
  id: row.id,
  runId: row.run_id,
  generation: row.generation,
  stepIndex: row.step_index,
  stepId: row.step_id,
  status: row.status,
  attempts: row.attempts,
  failures: row.failures,
  input: row.input,
  output: row.output,
  error: row.error,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

export const runsRepository = {
  /** The organization's runs running now: what the plan's `concurrentRuns` holds (the workers promote pending ones up to it). */
  async countRunning(tx: TenantTx): Promise<number> {
    const { rows } = await tx.query<{ count: string }>("SELECT count(*) AS count FROM workflow_runs WHERE tenant_id = $1 AND status = 'running'", [tx.tenantId]);
    return Number(rows[0]?.count ?? 0);
  },

  /**
   * A pending run of the workflow's current definition (its steps and version copied in the
   * same statement); undefined when the tenant has no such workflow.
   */
  async insertFromWorkflow(tx: TenantTx, input: { workflowId: string; input: JsonValue; createdBy: string }): Promise<RunRecord | undefined> {
    const { rows } = await tx.query<RunRow>(
      `INSERT INTO workflow_runs (tenant_id, id, workflow_id, project_id, workflow_version, steps, status, input, created_by)
       SELECT $1, $2, w.id, w.project_id, w.version, w.steps, 'pending', $4, $5 FROM workflows w WHERE w.tenant_id = $1 AND w.id = $3
       RETURNING ${RUN_COLUMNS}`,
      [tx.tenantId, uuidv7(), input.workflowId, JSON.stringify(input.input), input.createdBy],
    );
    return rows[0] === undefined ? undefined : toRun(rows[0]);
  },

  async find(tx: TenantTx, id: string, forUpdate = false): Promise<RunRecord | undefined> {
    const { rows } = await tx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [tx.tenantId, id]);
    return rows[0] === undefined ? undefined : toRun(rows[0]);
  },

  async list(
    tx: TenantTx,
    options: { limit: number; after?: string | undefined; workflowId?: string | undefined; status?: RunStatus | undefined; projectIds?: readonly string[] | undefined },
  ): Promise<RunRecord[]> {
    const values: unknown[] = [tx.tenantId];
    const where = ['tenant_id = $1'];
    const add = (clause: (n: number) => string, value: unknown) => {
      values.push(value);
      where.push(clause(values.length));
    };
    if (options.workflowId !== undefined) add((n) => `workflow_id = $${n}`, options.workflowId);
    if (options.status !== undefined) add((n) => `status = $${n}`, options.status);
    if (options.projectIds !== undefined) add((n) => `project_id = ANY($${n}::uuid[])`, options.projectIds);
    if (options.after !== undefined) {
      const [at, id] = parseCreatedSortKey(options.after);
      values.push(at, id);
      where.push(`(created_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    values.push(options.limit);
    const { rows } = await tx.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toRun);
  },

  /** Moves the run to `status` (ending it when final), with `error` when given; bumps the generation on reset. */
  /**
   * Runs `update` (on the tenant's step executions, `RETURNING run_id`; `$1` is the tenant) and,
   * in the same statement, locks and reads the run it names: undefined when it changed no row.
   */
  async updateThenLockRun(tx: TenantTx, update: string, values: readonly unknown[]): Promise<RunRecord | undefined> {
    const { rows } = await tx.query<RunRow>(
      `WITH updated AS (${update})
       SELECT ${RUN_COLUMNS} FROM workflow_runs JOIN updated ON workflow_runs.id = updated.run_id
        WHERE workflow_runs.tenant_id = $1 FOR UPDATE OF workflow_runs`,
      values,
    );
    return rows[0] === undefined ? undefined : toRun(rows[0]);
  },

  async setStatus(tx: TenantTx, id: string, status: RunStatus, options: StatusOptions = {}): Promise<RunRecord> {
    const { rows } = await tx.query<RunRow>(`${SET_STATUS} RETURNING ${RUN_COLUMNS}`, setStatusValues(tx, id, status, options));
    return toRun(rows[0] as RunRow);
  },

  /** Like setStatus, for a caller that does not read the run back: the update goes out with COMMIT. */
  setStatusAtCommit(tx: TenantTx, id: string, status: RunStatus, options: StatusOptions = {}): void {
    tx.atCommit(SET_STATUS, setStatusValues(tx, id, status, options));
  },

  /** The run's step executions, oldest generation and step first. */
  async executions(tx: TenantTx, runId: string): Promise<StepExecutionRecord[]> {
    const { rows } = await tx.query<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM workflow_step_executions WHERE tenant_id = $1 AND run_id = $2 ORDER BY generation, step_index`,
      [tx.tenantId, runId],
    );
    return rows.map(toExecution);
  },

  /** Queues step `stepIndex` of the run's generation (once: a second call changes nothing); the insert goes out with COMMIT. */
  queueStepAtCommit(tx: TenantTx, run: Pick<RunRecord, 'id' | 'generation' | 'steps'>, stepIndex: number): void {
    const step = run.steps[stepIndex];
    if (step === undefined) return;
    tx.atCommit(
      `INSERT INTO workflow_step_executions (tenant_id, id, run_id, generation, step_index, step_id, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending') ON CONFLICT (tenant_id, run_id, generation, step_index) DO NOTHING`,
      [tx.tenantId, uuidv7(), run.id, run.generation, stepIndex, step.id],
    );
  },

  /** Steps of the run still waiting to start never will (cancel, reset). */
  async cancelWaitingSteps(tx: TenantTx, runId: string): Promise<void> {
    await tx.query(
      `UPDATE workflow_step_executions SET status = 'cancelled', finished_at = now() WHERE tenant_id = $1 AND run_id = $2 AND status = 'pending'`,
      [tx.tenantId, runId],
    );
  },
};
