import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, noContent, pageQuery, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import type { ProjectClient } from '../upstream/project.upstream';
import { requiredField } from '../upstream/upstream-call';
import {
  createProjectBody,
  listProjectsQuery,
  projectIdParams,
  projectListResponse,
  projectMemberListResponse,
  projectMemberParams,
  projectMemberResponse,
  projectResponse,
  setProjectMemberBody,
  toProjectMemberResponse,
  toProjectResponse,
  updateProjectBody,
} from './projects.schemas';
import { problemResponses } from '../http/problem-responses';

const TAGS = ['projects'];

/**
 * `/v1/projects`: projects of the token's organization and their members, forwarded to the
 * project service (which decides visibility and permissions; another org's project is 404).
 */
export function registerProjectRoutes(app: HttpApp, deps: { projects: ProjectClient; authentication: Authentication }): void {
  const { projects, authentication } = deps;
  const authenticated = (summary: string) => ({ ...authenticatedRouteSchema, tags: TAGS, summary });

  app.get(
    '/v1/projects',
    {
      ...authentication.hooks,
      schema: { ...authenticated('Projects the caller can see, newest first'), querystring: listProjectsQuery, response: { 200: projectListResponse } },
    },
    async (request) => {
      const answer = await projects.listProjects(
        { page: pageRequestOf(request.query), includeArchived: request.query.includeArchived },
        authentication.callOptionsOf(request),
      );
      return { items: answer.items.map(toProjectResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.post(
    '/v1/projects',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated("Create a project (owner, admin, member); past the plan's project limit, 402"),
        body: createProjectBody,
        response: { 201: projectResponse, ...problemResponses(402, 409) },
      },
    },
    async (request, reply) => {
      const { name, description, settings } = request.body;
      const answer = await projects.createProject({ name, description: description ?? '', settings }, authentication.callOptionsOf(request));
      return reply.status(201).send(toProjectResponse(requiredField(answer.project, 'project')));
    },
  );

  app.get(
    '/v1/projects/:id',
    { ...authentication.hooks, schema: { ...authenticated('One project'), params: projectIdParams, response: { 200: projectResponse } } },
    async (request) => {
      const answer = await projects.getProject({ id: request.params.id }, authentication.callOptionsOf(request));
      return toProjectResponse(requiredField(answer.project, 'project'));
    },
  );

  app.patch(
    '/v1/projects/:id',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated('Change a project (owner, admin; project admin, editor)'),
        params: projectIdParams,
        body: updateProjectBody,
        response: { 200: projectResponse, ...problemResponses(409) },
      },
    },
    async (request) => {
      const answer = await projects.updateProject({ id: request.params.id, ...request.body }, authentication.callOptionsOf(request));
      return toProjectResponse(requiredField(answer.project, 'project'));
    },
  );

  app.delete(
    '/v1/projects/:id',
    {
      ...authentication.hooks,
      schema: { ...authenticated('Delete a project (owner, admin; project admin)'), params: projectIdParams, response: { 204: noContent('Deleted') } },
    },
    async (request, reply) => {
      await projects.deleteProject({ id: request.params.id }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/projects/:id/members',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated("The project's members and their project roles"),
        params: projectIdParams,
        querystring: pageQuery,
        response: { 200: projectMemberListResponse },
      },
    },
    async (request) => {
      const answer = await projects.listProjectMembers(
        { projectId: request.params.id, page: pageRequestOf(request.query) },
        authentication.callOptionsOf(request),
      );
      return { items: answer.items.map(toProjectMemberResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.put(
    '/v1/projects/:id/members/:userId',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated('Add a member of the organization to the project, or change their project role'),
        params: projectMemberParams,
        body: setProjectMemberBody,
        response: { 200: projectMemberResponse },
      },
    },
    async (request) => {
      const answer = await projects.setProjectMember(
        { projectId: request.params.id, userId: request.params.userId, role: request.body.role },
        authentication.callOptionsOf(request),
      );
      return toProjectMemberResponse(requiredField(answer.member, 'member'));
    },
  );

  app.delete(
    '/v1/projects/:id/members/:userId',
    {
      ...authentication.hooks,
      schema: { ...authenticated('Remove a member from the project'), params: projectMemberParams, response: { 204: noContent('Removed') } },
    },
    async (request, reply) => {
      await projects.removeProjectMember({ projectId: request.params.id, userId: request.params.userId }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );
}
