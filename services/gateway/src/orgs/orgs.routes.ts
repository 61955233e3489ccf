import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, noContent, pageQuery, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import { requestRateOf } from '../rate-limit/rate-limit.policy';
import type { AuthClient } from '../upstream/auth.upstream';
import type { OrgClient } from '../upstream/org.upstream';
import { requiredField } from '../upstream/upstream-call';
import { ownOrganizationId } from './org-scope';
import {
  createdOrgResponse,
  createOrgBody,
  orgIdParams,
  orgListResponse,
  orgResponse,
  toCreatedOrgResponse,
  toOrgResponse,
  updateOrgBody,
  usageResponse,
} from './orgs.schemas';
import { problemResponses } from '../http/problem-responses';

const TAGS = ['organizations'];

/**
 * `/v1/orgs`: the caller's organizations, creating one (through the auth service, which owns
 * the registry, ADR 0004), and the token's organization's profile, plan, settings and usage.
 */
export function registerOrgRoutes(app: HttpApp, deps: { auth: AuthClient; org: OrgClient; authentication: Authentication }): void {
  const { auth, org, authentication } = deps;
  const authenticated = (summary: string) => ({ ...authenticatedRouteSchema, tags: TAGS, summary });

  app.get(
    '/v1/orgs',
    {
      ...authentication.hooks,
      schema: { ...authenticated("The caller's organizations and their role in each"), querystring: pageQuery, response: { 200: orgListResponse } },
    },
    async (request) => {
      const answer = await org.listOrganizations({ page: pageRequestOf(request.query) }, authentication.callOptionsOf(request));
      return { items: answer.items.map(({ id, name, role }) => ({ id, name, role })), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.post(
    '/v1/orgs',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated('Create an organization; the caller becomes its owner (switch-org for its tokens)'),
        body: createOrgBody,
        response: { 201: createdOrgResponse, ...problemResponses(402, 409) },
      },
    },
    async (request, reply) => {
      const { name, slug } = request.body;
      const answer = await auth.createOrganization({ name, slug: slug ?? '' }, authentication.callOptionsOf(request));
      return reply.status(201).send(toCreatedOrgResponse(requiredField(answer.organization, 'organization')));
    },
  );

  app.get(
    '/v1/orgs/:orgId',
    { ...authentication.hooks, schema: { ...authenticated("The organization's profile, plan and settings"), params: orgIdParams, response: { 200: orgResponse } } },
    async (request) => {
      const id = ownOrganizationId(authentication, request, request.params.orgId);
      const answer = await org.getOrganization({ id }, authentication.callOptionsOf(request));
      return toOrgResponse(requiredField(answer.organization, 'organization'));
    },
  );

  app.patch(
    '/v1/orgs/:orgId',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated('Change the name, slug, plan or settings (owner, admin; the plan: owner)'),
        params: orgIdParams,
        body: updateOrgBody,
        response: { 200: orgResponse, ...problemResponses(409) },
      },
    },
    async (request) => {
      const id = ownOrganizationId(authentication, request, request.params.orgId);
      const answer = await org.updateOrganization({ id, ...request.body }, authentication.callOptionsOf(request));
      return toOrgResponse(requiredField(answer.organization, 'organization'));
    },
  );

  app.delete(
    '/v1/orgs/:orgId',
    {
      ...authentication.hooks,
      schema: { ...authenticated('Delete the organization and its data (owner)'), params: orgIdParams, response: { 204: noContent('Deleted') } },
    },
    async (request, reply) => {
      const id = ownOrganizationId(authentication, request, request.params.orgId);
      await org.deleteOrganization({ id }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/orgs/:orgId/usage',
    { ...authentication.hooks, schema: { ...authenticated("Counts against the plan's limits"), params: orgIdParams, response: { 200: usageResponse } } },
    async (request, reply) => {
      const organizationId = ownOrganizationId(authentication, request, request.params.orgId);
      const answer = await org.getUsage({ organizationId }, authentication.callOptionsOf(request));
      // The request rate is the gateway's own: its bucket, as the rate-limit guard left it for this request.
      const requestRate = requestRateOf(reply.getHeaders());
      return {
        plan: answer.plan,
        items: [
          ...answer.items.map(({ resource, used64, limit64 }) => ({ resource, used: used64, limit: limit64 })),
          ...(requestRate === undefined ? [] : [{ resource: 'requestsPerMinute', ...requestRate }]),
        ],
      };
    },
  );
}
