import { BoundedMap } from '@bulkhead/bounded-map';
import { auditedBy, recordAuditEvent, type AuditAction } from '@bulkhead/audit';
import type { TenantDatabase, TenantTx } from '@bulkhead/database';
import { notFound } from '@bulkhead/errors';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { limitsOf, requirePermission } from '@bulkhead/permissions';
import type { OrgPlanSource } from '@bulkhead/tenant-cache';
import type { JsonValue } from '@bulkhead/templates';
import type { Caller } from '../caller';
import { runNotFound, workflowNotFound, type ProjectAccess } from '../definitions/project-access';
import { workflowsRepository } from '../definitions/workflows.repository';
import type { WorkflowsService } from '../definitions/workflows.service';
import { requireControlAllowed, statusAfter, type RunControl } from './run-transitions';
import { runsRepository, type RunRecord, type RunStatus, type StepExecutionRecord } from './runs.repository';

export interface RunsServiceOptions {
  db: TenantDatabase;
  projects: ProjectAccess;
  workflows: WorkflowsService;
  plans: OrgPlanSource;
  /** Told after a run was started, resumed or reset: this process's workers try the tenant at once. */
  onRunnable?: (tenantId: string) => void;
}

/** A run with its step executions (every generation, oldest first). */
export interface RunWithSteps {
  run: RunRecord;
  executions: StepExecutionRecord[];
}

/** Workflows whose project a process keeps (the oldest is forgotten first). */
const WORKFLOW_PROJECTS_KEPT = 10_000;

const CONTROL_ACTIONS: Readonly<Record<RunControl, AuditAction>> = {
  pause: 'run.paused',
  resume: 'run.resumed',
  cancel: 'run.cancelled',
  reset: 'run.reset',
};

/**
 * Records the concurrent-run limit of the tenant's plan where the workers read it. The row is
 * written only when the limit changed: workers lock it while claiming, and an upsert on every
 * start would queue each start behind them (and behind the other starts).
 */
function rememberConcurrencyLimit(tx: TenantTx, concurrentRuns: number): void {
  tx.atCommit(
    `INSERT INTO workflow_tenant_limits (tenant_id, concurrent_runs)
     SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM workflow_tenant_limits WHERE tenant_id = $1 AND concurrent_runs = $2)
     ON CONFLICT (tenant_id) DO UPDATE SET concurrent_runs = EXCLUDED.concurrent_runs, updated_at = now()`,
    [tx.tenantId, concurrentRuns],
  );
}

/**
 * Runs as callers see and steer them. Starting only queues a pending run: the workers move it
 * on. Controls lock the run row, so a worker finishing a step and a caller pausing it are
 * serialized, and every transition records its audit event in the same transaction.
 */
export function createRunsService(options: RunsServiceOptions) {
  const { db, projects } = options;
  const ctxOf = (caller: Caller) => ({ tenantId: caller.principal.tenantId });
  /**
   * The project of each workflow this process started a run of, by `tenantId/workflowId`. A
   * workflow never moves to another project, so the next start checks the caller's role in it
   * before inserting; the insert still finds the workflow in the tenant's shard or answers 404.
   */
  const projectOfWorkflow = new BoundedMap<string, string>(WORKFLOW_PROJECTS_KEPT);

  const load = async (caller: Caller, id: string): Promise<RunWithSteps> => {
    const found = await db.withTenant(ctxOf(caller), async (tx) => {
      const run = await runsRepository.find(tx, id);
      return run === undefined ? undefined : { run, executions: await runsRepository.executions(tx, id) };
    });
    if (found === undefined) throw runNotFound();
    await projects.require(caller, found.run.projectId, 'runs.read', runNotFound);
    return found;
  };

  return {
    /**
     * One transaction: the run is inserted from the workflow's current definition, and the
     * caller's right to start it is checked (their project role, cached; a miss asks the
     * project service): before the transaction when the workflow's project is known here, else
     * after the insert, with the transaction open, where a refusal rolls the insert back.
     */
    async start(caller: Caller, workflowId: string, input: JsonValue): Promise<RunWithSteps> {
      const plan = options.plans.planOf(caller);
      plan.catch(() => undefined);
      const workflowKey = `${caller.principal.tenantId}/${workflowId}`;
      const knownProject = projectOfWorkflow.get(workflowKey);
      // The role is read beside the plan (one write to Redis), and a refusal costs no transaction.
      if (knownProject !== undefined) await projects.require(caller, knownProject, 'runs.start', workflowNotFound);
      const run = await db.withTenant(ctxOf(caller), async (tx) => {
        const created = await runsRepository.insertFromWorkflow(tx, { workflowId, input, createdBy: caller.principal.subject });
        if (created === undefined) throw workflowNotFound();
        if (created.projectId !== knownProject) await projects.require(caller, created.projectId, 'runs.start', workflowNotFound);
        rememberConcurrencyLimit(tx, limitsOf(await plan).concurrentRuns);
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'run.started',
          resource: { type: 'run', id: created.id },
          outcome: 'success',
          metadata: { workflowId, workflowVersion: created.workflowVersion },
        });
        return created;
      });
      projectOfWorkflow.set(workflowKey, run.projectId);
      options.onRunnable?.(caller.principal.tenantId);
      return { run, executions: [] };
    },

    get: load,

    async list(caller: Caller, window: PageWindow, filter: { workflowId?: string | undefined; status?: RunStatus | undefined }): Promise<{ items: RunRecord[]; nextCursor: string }> {
      let projectIds: string[] | undefined;
      if (filter.workflowId !== undefined) {
        await options.workflows.accessible(caller, filter.workflowId, 'runs.read');
      } else {
        projectIds = await projects.visibleProjects(caller, 'runs.read');
        if (projectIds?.length === 0) return { items: [], nextCursor: '' };
      }
      const rows = await db.withTenant(ctxOf(caller), (tx) => runsRepository.list(tx, { limit: window.limit + 1, after: window.after, ...filter, projectIds }));
      return pageOf(rows, window, (run) => run.sortKey);
    },

    /** The step's execution in the run's current generation, and the earlier generations' as history (newest first). */
    async step(caller: Caller, runId: string, stepId: string): Promise<{ step: StepExecutionRecord | undefined; history: StepExecutionRecord[]; run: RunRecord }> {
      const { run, executions } = await load(caller, runId);
      if (!run.steps.some((step) => step.id === stepId)) throw notFound('Step');
      const ofStep = executions.filter((execution) => execution.stepId === stepId);
      return {
        run,
        step: ofStep.find((execution) => execution.generation === run.generation),
        history: ofStep.filter((execution) => execution.generation !== run.generation).reverse(),
      };
    },

    async control(caller: Caller, id: string, control: RunControl): Promise<RunWithSteps> {
      const { run: seen } = await load(caller, id);
      await projects.require(caller, seen.projectId, 'runs.control', runNotFound);
      const controlled = await db.withTenant(ctxOf(caller), async (tx) => {
        const run = await runsRepository.find(tx, id, true);
        if (run === undefined) throw runNotFound();
        requireControlAllowed(control, run.status);
        const before = await runsRepository.executions(tx, id);
        const hasStarted = before.some((execution) => execution.generation === run.generation);
        if (control === 'cancel' || control === 'reset') await runsRepository.cancelWaitingSteps(tx, id);
        const next = await runsRepository.setStatus(tx, id, statusAfter(control, hasStarted), control === 'reset' ? { newGeneration: true, error: null } : {});
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: CONTROL_ACTIONS[control],
          resource: { type: 'run', id },
          outcome: 'success',
          changes: { before: { status: run.status, generation: run.generation }, after: { status: next.status, generation: next.generation } },
        });
        return { run: next, executions: await runsRepository.executions(tx, id) };
      });
      if (controlled.run.status === 'running' || controlled.run.status === 'pending') options.onRunnable?.(caller.principal.tenantId);
      return controlled;
    },

    /** The organization's workflows and its runs running now (what `concurrentRuns` holds), for its usage against the plan. */
    async usage(caller: Caller): Promise<{ workflows: number; runningRuns: number }> {
      requirePermission(caller.principal, 'org.usage.read');
      return db.withTenant(ctxOf(caller), async (tx) => ({ workflows: await workflowsRepository.count(tx), runningRuns: await runsRepository.countRunning(tx) }));
    },
  };
}

export type RunsService = ReturnType<typeof createRunsService>;
