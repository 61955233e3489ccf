import { auditedBy, recordAuditEvent } from '@bulkhead/audit';
import { singleStatements, uuidv7, type TenantDatabase } from '@bulkhead/database';
import { AppError } from '@bulkhead/errors';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { boundProjectOf, canInProject, requirePermission, requireProjectListPermission, requireWithinLimit, seesEveryProject } from '@bulkhead/permissions';
import { userIdOf, type Caller } from '../caller';
import { membersRepository } from '../members/members.repository';
import { projectAccessCacheKey, type OrgPlanSource, type TenantCache } from '@bulkhead/tenant-cache';
import { projectNotFound, requireProjectAccess } from './project-access';
import { projectsRepository, type ProjectPatch, type ProjectRecord, type ProjectWithRole } from './projects.repository';

const NAME_INDEX = 'projects_tenant_name_key';

export interface NewProjectInput {
  name: string;
  description: string;
  settings: Record<string, unknown>;
}

export interface ProjectsServiceOptions {
  db: TenantDatabase;
  plans: OrgPlanSource;
  /** Where other services cache callers' roles in a project; dropped after every change to one. */
  cache: TenantCache;
}

function nameTaken(): AppError {
  return new AppError({
    kind: 'ALREADY_EXISTS',
    code: 'PROJECT_NAME_TAKEN',
    message: 'A project with this name already exists in the organization.',
    fieldViolations: [{ field: 'name', description: 'is taken by another project of the organization' }],
  });
}

/** Runs a write that may collide on the per-org project name, answering PROJECT_NAME_TAKEN. */
async function nameCollisionAware<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    const pg = err as { code?: unknown; constraint?: unknown };
    if (pg.code === '23505' && pg.constraint === NAME_INDEX) throw nameTaken();
    throw err;
  }
}

/** What an audit event records of a project (settings are redacted by the audit library). */
const snapshotOf = (project: ProjectRecord) => ({
  name: project.name,
  description: project.description,
  settings: project.settings,
  archived: project.archived,
});

/**
 * Projects of the caller's organization. Every call runs in one transaction on the tenant's
 * shard; who may see or change a project is the permission table's decision, from the
 * caller's org role and their role in that project (read in the same transaction).
 */
export function createProjectsService(options: ProjectsServiceOptions) {
  const { db } = options;
  const ctxOf = (caller: Caller) => ({ tenantId: caller.principal.tenantId });

  return {
    /**
     * The creator (a user) becomes the project's admin. The plan's project limit is checked
     * under a per-tenant advisory lock, so concurrent creates cannot overshoot it.
     */
    async create(caller: Caller, input: NewProjectInput): Promise<ProjectRecord> {
      requirePermission(caller.principal, 'projects.create');
      const plan = await options.plans.planOf(caller);
      return db.withTenant(ctxOf(caller), async (tx) => {
        const tenantId = tx.tenantId;
        await projectsRepository.lockProjectCount(tx, tenantId);
        requireWithinLimit(plan, 'projects', await projectsRepository.count(tx, tenantId));
        const project = await nameCollisionAware(
          projectsRepository.insert(tx, tenantId, { id: uuidv7(), ...input, createdBy: caller.principal.subject }),
        );
        const creator = userIdOf(caller);
        if (creator !== undefined) {
          await membersRepository.upsert(tx, tenantId, { projectId: project.id, userId: creator, role: 'admin' });
        }
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'project.created',
          resource: { type: 'project', id: project.id },
          outcome: 'success',
          changes: { after: snapshotOf(project) },
        });
        return project;
      });
    },

    /** The project with the caller's role in it (other services decide project-scoped permissions from it). */
    async get(caller: Caller, id: string): Promise<ProjectWithRole> {
      // One statement: its own unit of work in one round trip, not a transaction around it.
      return requireProjectAccess(singleStatements(db, ctxOf(caller)), caller, id, 'project.read');
    },

    /**
     * Newest first; callers who do not see every project get only those they are members of, and
     * a project-bound API key at most its own project.
     */
    async list(caller: Caller, window: PageWindow, includeArchived: boolean): Promise<{ items: ProjectRecord[]; nextCursor: string }> {
      requireProjectListPermission(caller.principal, 'project.read');
      const boundTo = boundProjectOf(caller.principal);
      if (boundTo !== undefined) {
        const found = await db.withTenant(ctxOf(caller), (tx) => projectsRepository.findWithRole(tx, tx.tenantId, boundTo, undefined));
        const visible = found !== undefined && canInProject(caller.principal, 'project.read', boundTo) && (includeArchived || !found.project.archived);
        return { items: visible && window.after === undefined ? [found.project] : [], nextCursor: '' };
      }
      const everyProject = seesEveryProject(caller.principal);
      const memberUserId = userIdOf(caller);
      // An API key or service that does not see every project holds no project roles: nothing to list.
      if (!everyProject && memberUserId === undefined) return { items: [], nextCursor: '' };
      const rows = await db.withTenant(ctxOf(caller), (tx) =>
        projectsRepository.list(tx, tx.tenantId, {
          limit: window.limit + 1,
          after: window.after,
          includeArchived,
          memberUserId: everyProject ? undefined : memberUserId,
        }),
      );
      return pageOf(rows, window, (project) => project.sortKey);
    },

    async update(caller: Caller, id: string, patch: ProjectPatch): Promise<ProjectRecord> {
      const updated = await db.withTenant(ctxOf(caller), async (tx) => {
        const { project: before } = await requireProjectAccess(tx, caller, id, 'project.update');
        const updated = await nameCollisionAware(projectsRepository.update(tx, tx.tenantId, id, patch));
        if (updated === undefined) throw projectNotFound();
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'project.updated',
          resource: { type: 'project', id },
          outcome: 'success',
          changes: { before: snapshotOf(before), after: snapshotOf(updated) },
        });
        return updated;
      });
      await options.cache.invalidate(caller.principal.tenantId, [projectAccessCacheKey(id)]);
      return updated;
    },

    async delete(caller: Caller, id: string): Promise<void> {
      await db.withTenant(ctxOf(caller), async (tx) => {
        const { project } = await requireProjectAccess(tx, caller, id, 'project.delete');
        await projectsRepository.delete(tx, tx.tenantId, id);
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'project.deleted',
          resource: { type: 'project', id },
          outcome: 'success',
          changes: { before: snapshotOf(project) },
        });
      });
      await options.cache.invalidate(caller.principal.tenantId, [projectAccessCacheKey(id)]);
    },

    /** How many projects the organization has. */
    async usage(caller: Caller): Promise<number> {
      requirePermission(caller.principal, 'org.usage.read');
      return db.withTenant(ctxOf(caller), (tx) => projectsRepository.count(tx, tx.tenantId));
    },
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
