import { ProjectServiceService, type Project, type ProjectMember } from '@bulkhead/contracts';
import { notFound } from '@bulkhead/errors';
import type { Logger } from '@bulkhead/observability';
import { createCallRecorder, listenFake, type ListeningFake, type RecordedCalls } from './call-recorder';
import { USER_ID, type TestTokens } from './test-tokens';

/** A method of the project service, by its client name (`getProject`, …). */
export type ProjectMethod = keyof typeof ProjectServiceService;

/** A stand-in for the project service on a real gRPC server: canned answers, recorded calls. */
export interface FakeProjectService extends ListeningFake, RecordedCalls<ProjectMethod> {}

export const PROJECT_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4aa0';
/** A project id the fake answers NOT_FOUND for (another tenant's, or none). */
export const MISSING_PROJECT_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4aa1';

export const PROJECT: Project = {
  id: PROJECT_ID,
  name: 'Website',
  description: 'The public site',
  settings: { region: 'eu' },
  archived: false,
  createdAt: '2026-01-02T03:04:05.000Z',
  updatedAt: '2026-01-02T03:04:05.000Z',
};

export const PROJECT_MEMBER: ProjectMember = { userId: USER_ID, role: 'admin', addedAt: '2026-01-02T03:04:05.000Z' };

/** Starts a fake ProjectService on `127.0.0.1:0`; {@link MISSING_PROJECT_ID} is NOT_FOUND like another tenant's project. */
export async function startFakeProjectService(logger: Logger, tokens: TestTokens): Promise<FakeProjectService> {
  const { record, ...calls } = createCallRecorder<ProjectMethod>();
  const existing = (id: string): void => {
    if (id === MISSING_PROJECT_ID) throw notFound('Project');
  };
  const server = await listenFake(logger, tokens, ProjectServiceService, {
    async createProject(request, ctx) {
      record('createProject', request, ctx);
      return { project: { ...PROJECT, name: request.name, description: request.description, settings: request.settings ?? {} } };
    },
    async getProject(request, ctx) {
      record('getProject', request, ctx);
      existing(request.id);
      return { project: PROJECT, callerProjectRole: 'admin' };
    },
    async listProjects(request, ctx) {
      record('listProjects', request, ctx);
      return { items: [PROJECT], page: { nextCursor: 'projects-2' } };
    },
    async updateProject(request, ctx) {
      record('updateProject', request, ctx);
      existing(request.id);
      const { id: _id, ...changes } = request;
      const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      return { project: { ...PROJECT, ...defined } };
    },
    async deleteProject(request, ctx) {
      record('deleteProject', request, ctx);
      existing(request.id);
      return {};
    },
    async listProjectMembers(request, ctx) {
      record('listProjectMembers', request, ctx);
      existing(request.projectId);
      return { items: [PROJECT_MEMBER], page: { nextCursor: '' } };
    },
    async setProjectMember(request, ctx) {
      record('setProjectMember', request, ctx);
      existing(request.projectId);
      return { member: { ...PROJECT_MEMBER, userId: request.userId, role: request.role } };
    },
    async removeProjectMember(request, ctx) {
      record('removeProjectMember', request, ctx);
      existing(request.projectId);
      return {};
    },
    async getProjectUsage(request, ctx) {
      record('getProjectUsage', request, ctx);
      return { projects: 1 };
    },
  });
  return { ...calls, ...server };
}
