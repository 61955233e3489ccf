import { forwardingCallerOf } from '@bulkhead/audit';
import type { Project, ProjectMember, ProjectServiceService } from '@bulkhead/contracts';
import { parseRequest, readPage, type CallContext, type ServiceImplementation } from '@bulkhead/grpc-kit';
import { PROJECT_ROLES } from '@bulkhead/permissions';
import type { AuthContext } from '@bulkhead/tokens';
import { z } from 'zod';
import type { Caller } from './caller';
import type { MembersService } from './members/members.service';
import type { ProjectMemberRecord } from './members/members.repository';
import type { ProjectRecord } from './projects/projects.repository';
import type { ProjectsService } from './projects/projects.service';

/** The largest settings object accepted, as JSON. */
export const MAX_SETTINGS_BYTES = 16 * 1024;

const uuid = z.uuid('must be a UUID');
const name = z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters');
const description = z.string().max(2000, 'must be at most 2000 characters');
const settings = z
  .record(z.string(), z.unknown())
  .refine((value) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= MAX_SETTINGS_BYTES, `must be at most ${MAX_SETTINGS_BYTES} bytes as JSON`);
const page = z.object({ pageSize: z.number(), cursor: z.string() }).optional();

const schemas = {
  create: z.object({ name, description, settings: settings.optional().transform((value) => value ?? {}) }),
  get: z.object({ id: uuid }),
  list: z.object({ page, includeArchived: z.boolean() }),
  update: z.object({
    id: uuid,
    name: name.optional(),
    description: description.optional(),
    settings: settings.optional(),
    archived: z.boolean().optional(),
  }),
  listMembers: z.object({ projectId: uuid, page }),
  setMember: z.object({
    projectId: uuid,
    userId: uuid,
    role: z.enum(PROJECT_ROLES, `must be one of ${PROJECT_ROLES.join(', ')}`),
  }),
  removeMember: z.object({ projectId: uuid, userId: uuid }),
};

type ProjectCallContext = CallContext & AuthContext;

/** The verified caller, with call options that forward their token to auth and org. */
const callerOf = (ctx: ProjectCallContext): Caller => forwardingCallerOf(ctx, 'project');

const toProject = (project: ProjectRecord): Project => ({
  id: project.id,
  name: project.name,
  description: project.description,
  settings: project.settings,
  archived: project.archived,
  createdAt: project.createdAt.toISOString(),
  updatedAt: project.updatedAt.toISOString(),
});

const toMember = (member: ProjectMemberRecord): ProjectMember => ({
  userId: member.userId,
  role: member.role,
  addedAt: member.addedAt.toISOString(),
});

export interface ProjectHandlerDependencies {
  projects: ProjectsService;
  members: MembersService;
}

/** The ProjectService: validates each request at the edge, then calls the projects or members service. */
export function createProjectHandlers(deps: ProjectHandlerDependencies): ServiceImplementation<typeof ProjectServiceService, ProjectCallContext> {
  return {
    async createProject(request, ctx) {
      const input = parseRequest(schemas.create, request);
      return { project: toProject(await deps.projects.create(callerOf(ctx), input)) };
    },
    async getProject(request, ctx) {
      const { id } = parseRequest(schemas.get, request);
      const { project, projectRole } = await deps.projects.get(callerOf(ctx), id);
      return { project: toProject(project), callerProjectRole: projectRole ?? '' };
    },
    async listProjects(request, ctx) {
      const input = parseRequest(schemas.list, request);
      const { items, nextCursor } = await deps.projects.list(callerOf(ctx), readPage(input.page), input.includeArchived);
      return { items: items.map(toProject), page: { nextCursor } };
    },
    async updateProject(request, ctx) {
      const { id, ...patch } = parseRequest(schemas.update, request);
      return { project: toProject(await deps.projects.update(callerOf(ctx), id, patch)) };
    },
    async deleteProject(request, ctx) {
      const { id } = parseRequest(schemas.get, request);
      await deps.projects.delete(callerOf(ctx), id);
      return {};
    },
    async listProjectMembers(request, ctx) {
      const input = parseRequest(schemas.listMembers, request);
      const { items, nextCursor } = await deps.members.list(callerOf(ctx), input.projectId, readPage(input.page));
      return { items: items.map(toMember), page: { nextCursor } };
    },
    async setProjectMember(request, ctx) {
      const input = parseRequest(schemas.setMember, request);
      return { member: toMember(await deps.members.set(callerOf(ctx), input.projectId, input.userId, input.role)) };
    },
    async removeProjectMember(request, ctx) {
      const input = parseRequest(schemas.removeMember, request);
      await deps.members.remove(callerOf(ctx), input.projectId, input.userId);
      return {};
    },
    async getProjectUsage(_request, ctx) {
      return { projects: await deps.projects.usage(callerOf(ctx)) };
    },
  };
}
