import { auditedBy, recordAuditEvent } from '@bulkhead/audit';
import { singleStatements, uuidv7, type TenantDatabase } from '@bulkhead/database';
import { AppError } from '@bulkhead/errors';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { requireWithinLimit, type ProjectPermission } from '@bulkhead/permissions';
import type { OrgPlanSource } from '@bulkhead/tenant-cache';
import type { Caller } from '../caller';
import type { AgentDirectory } from '../agents/agents';
import { projectNotFound, workflowNotFound, type ProjectAccess } from './project-access';
import { workflowsRepository, WORKFLOW_NAME_INDEX, type WorkflowRecord } from './workflows.repository';
import type { WorkflowStep } from './step-definitions';

export interface WorkflowsServiceOptions {
  db: TenantDatabase;
  projects: ProjectAccess;
  agents: AgentDirectory;
  plans: OrgPlanSource;
}

function nameTaken(): AppError {
  return new AppError({
    kind: 'ALREADY_EXISTS',
    code: 'WORKFLOW_NAME_TAKEN',
    message: 'A workflow with this name already exists in the project.',
    fieldViolations: [{ field: 'name', description: 'is taken by another workflow of the project' }],
  });
}

async function nameCollisionAware<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    const pg = err as { code?: unknown; constraint?: unknown };
    if (pg.code === '23505' && pg.constraint === WORKFLOW_NAME_INDEX) throw nameTaken();
    throw err;
  }
}

const snapshotOf = (workflow: WorkflowRecord) => ({ name: workflow.name, version: workflow.version, steps: workflow.steps });

/**
 * Workflow definitions. Project permissions come from the project service (the caller's role
 * there), agents are checked with the agent service — both with the caller's own token, before
 * the definition's transaction — and the write, the plan limit and its audit event are one
 * transaction on the tenant's shard.
 */
export function createWorkflowsService(options: WorkflowsServiceOptions) {
  const { db, projects, agents } = options;
  const ctxOf = (caller: Caller) => ({ tenantId: caller.principal.tenantId });

  /** The workflow, if the caller may do `permission` in its project; NOT_FOUND otherwise. */
  const accessible = async (caller: Caller, id: string, permission: ProjectPermission): Promise<WorkflowRecord> => {
    const workflow = await workflowsRepository.find(singleStatements(db, ctxOf(caller)), id);
    if (workflow === undefined) throw workflowNotFound();
    await projects.require(caller, workflow.projectId, permission, workflowNotFound);
    return workflow;
  };

  return {
    accessible,

    async create(caller: Caller, input: { projectId: string; name: string; steps: WorkflowStep[] }): Promise<WorkflowRecord> {
      await projects.require(caller, input.projectId, 'workflows.write', projectNotFound);
      await agents.requireAgents(caller, input.steps);
      const plan = await options.plans.planOf(caller);
      return db.withTenant(ctxOf(caller), async (tx) => {
        requireWithinLimit(plan, 'workflows', await workflowsRepository.lockedCount(tx));
        const workflow = await nameCollisionAware(workflowsRepository.insert(tx, { id: uuidv7(), ...input, createdBy: caller.principal.subject }));
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'workflow.created',
          resource: { type: 'workflow', id: workflow.id },
          outcome: 'success',
          changes: { after: snapshotOf(workflow) },
          metadata: { projectId: workflow.projectId },
        });
        return workflow;
      });
    },

    get: (caller: Caller, id: string) => accessible(caller, id, 'workflows.read'),

    async list(caller: Caller, window: PageWindow, projectId: string | undefined): Promise<{ items: WorkflowRecord[]; nextCursor: string }> {
      let projectIds: string[] | undefined;
      if (projectId !== undefined) {
        await projects.require(caller, projectId, 'workflows.read', projectNotFound);
        projectIds = [projectId];
      } else {
        projectIds = await projects.visibleProjects(caller, 'workflows.read');
      }
      if (projectIds?.length === 0) return { items: [], nextCursor: '' };
      const rows = await db.withTenant(ctxOf(caller), (tx) => workflowsRepository.list(tx, { limit: window.limit + 1, after: window.after, projectIds }));
      return pageOf(rows, window, (workflow) => workflow.sortKey);
    },

    async update(caller: Caller, id: string, patch: { name?: string | undefined; steps?: WorkflowStep[] | undefined }): Promise<WorkflowRecord> {
      await accessible(caller, id, 'workflows.write');
      if (patch.steps !== undefined) await agents.requireAgents(caller, patch.steps);
      return db.withTenant(ctxOf(caller), async (tx) => {
        const before = await workflowsRepository.find(tx, id, true);
        if (before === undefined) throw workflowNotFound();
        const updated = await nameCollisionAware(workflowsRepository.update(tx, id, { name: patch.name ?? before.name, steps: patch.steps ?? before.steps }));
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'workflow.updated',
          resource: { type: 'workflow', id },
          outcome: 'success',
          changes: { before: snapshotOf(before), after: snapshotOf(updated) },
        });
        return updated;
      });
    },

    async delete(caller: Caller, id: string): Promise<void> {
      const workflow = await accessible(caller, id, 'workflows.write');
      await db.withTenant(ctxOf(caller), async (tx) => {
        await workflowsRepository.delete(tx, id);
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'workflow.deleted',
          resource: { type: 'workflow', id },
          outcome: 'success',
          changes: { before: snapshotOf(workflow) },
        });
      });
    },
  };
}

export type WorkflowsService = ReturnType<typeof createWorkflowsService>;
