import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, noContent, pageQuery, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import { ownOrganizationId } from '../orgs/org-scope';
import { orgIdParams } from '../orgs/orgs.schemas';
import type { OrgClient } from '../upstream/org.upstream';
import { requiredField } from '../upstream/upstream-call';
import { memberListResponse, memberParams, memberResponse, toMemberResponse, updateMemberBody } from './members.schemas';
import { problemResponses } from '../http/problem-responses';

const TAGS = ['members'];

/** `/v1/orgs/{orgId}/members`: the organization's members and their roles, through the org service. */
export function registerMemberRoutes(app: HttpApp, deps: { org: OrgClient; authentication: Authentication }): void {
  const { org, authentication } = deps;
  const authenticated = (summary: string) => ({ ...authenticatedRouteSchema, tags: TAGS, summary });

  app.get(
    '/v1/orgs/:orgId/members',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated("The organization's members, oldest first"),
        params: orgIdParams,
        querystring: pageQuery,
        response: { 200: memberListResponse },
      },
    },
    async (request) => {
      const organizationId = ownOrganizationId(authentication, request, request.params.orgId);
      const answer = await org.listMembers({ organizationId, page: pageRequestOf(request.query) }, authentication.callOptionsOf(request));
      return { items: answer.items.map(toMemberResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.patch(
    '/v1/orgs/:orgId/members/:userId',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated("Change a member's role (owner, admin); the last owner cannot be demoted (409)"),
        params: memberParams,
        body: updateMemberBody,
        response: { 200: memberResponse, ...problemResponses(409) },
      },
    },
    async (request) => {
      const organizationId = ownOrganizationId(authentication, request, request.params.orgId);
      const answer = await org.updateMemberRole(
        { organizationId, userId: request.params.userId, role: request.body.role },
        authentication.callOptionsOf(request),
      );
      return toMemberResponse(requiredField(answer.member, 'member'));
    },
  );

  app.delete(
    '/v1/orgs/:orgId/members/:userId',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated('Remove a member, or leave (owner, admin, or the member); the last owner cannot leave (409)'),
        params: memberParams,
        response: { 204: noContent('Removed'), ...problemResponses(409) },
      },
    },
    async (request, reply) => {
      const organizationId = ownOrganizationId(authentication, request, request.params.orgId);
      await org.removeMember({ organizationId, userId: request.params.userId }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );
}
