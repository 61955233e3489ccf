import { membershipResponse, toMembershipResponse } from '../auth/auth.schemas';
import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, noContent, pageQuery, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import { ownOrganizationId } from '../orgs/org-scope';
import { orgIdParams } from '../orgs/orgs.schemas';
import type { AuthClient } from '../upstream/auth.upstream';
import type { OrgClient } from '../upstream/org.upstream';
import { requiredField } from '../upstream/upstream-call';
import {
  acceptInvitationBody,
  createdInvitationResponse,
  createInvitationBody,
  invitationListResponse,
  invitationParams,
  toInvitationResponse,
} from './invitations.schemas';
import { problemResponses } from '../http/problem-responses';

const TAGS = ['invitations'];
// The invitation token is a credential: no cache on the way may keep it.
const NO_STORE = 'no-store';

/**
 * `/v1/orgs/{orgId}/invitations` (the org service) and `/v1/invitations/accept` (the auth
 * service, which adds the membership after the org service redeems the token, ADR 0004).
 */
export function registerInvitationRoutes(app: HttpApp, deps: { auth: AuthClient; org: OrgClient; authentication: Authentication }): void {
  const { auth, org, authentication } = deps;
  const authenticated = (summary: string) => ({ ...authenticatedRouteSchema, tags: TAGS, summary });

  app.post(
    '/v1/orgs/:orgId/invitations',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated('Invite an email address with a role (owner, admin); the token is in this response only'),
        params: orgIdParams,
        body: createInvitationBody,
        response: { 201: createdInvitationResponse, ...problemResponses(402, 409) },
      },
    },
    async (request, reply) => {
      const organizationId = ownOrganizationId(authentication, request, request.params.orgId);
      const { email, role, expiresInHours } = request.body;
      const answer = await org.createInvitation(
        { organizationId, email, role, expiresInHours: expiresInHours ?? 0 },
        authentication.callOptionsOf(request),
      );
      return reply
        .status(201)
        .header('cache-control', NO_STORE)
        .send({ invitation: toInvitationResponse(requiredField(answer.invitation, 'invitation')), token: answer.token });
    },
  );

  app.get(
    '/v1/orgs/:orgId/invitations',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated("The organization's invitations (owner, admin), never their tokens"),
        params: orgIdParams,
        querystring: pageQuery,
        response: { 200: invitationListResponse },
      },
    },
    async (request) => {
      const organizationId = ownOrganizationId(authentication, request, request.params.orgId);
      const answer = await org.listInvitations({ organizationId, page: pageRequestOf(request.query) }, authentication.callOptionsOf(request));
      return { items: answer.items.map(toInvitationResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.delete(
    '/v1/orgs/:orgId/invitations/:id',
    {
      ...authentication.hooks,
      schema: { ...authenticated('Revoke an invitation (owner, admin)'), params: invitationParams, response: { 204: noContent('Revoked'), ...problemResponses(409) } },
    },
    async (request, reply) => {
      const organizationId = ownOrganizationId(authentication, request, request.params.orgId);
      await org.revokeInvitation({ organizationId, id: request.params.id }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/invitations/accept',
    {
      ...authentication.hooks,
      schema: {
        ...authenticated("Join the organization that invited the caller's email (a token of any organization)"),
        body: acceptInvitationBody,
        response: { 200: membershipResponse, ...problemResponses(402, 404, 409) },
      },
    },
    async (request) => {
      const answer = await auth.acceptInvitation(request.body, authentication.callOptionsOf(request));
      return toMembershipResponse(requiredField(answer.membership, 'membership'));
    },
  );
}
