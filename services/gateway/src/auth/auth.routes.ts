import { z } from 'zod';
import { toApiKeyResponse } from '../api-keys/api-keys.schemas';
import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import type { HttpApp } from '../http/http-app';
import type { AuthClient } from '../upstream/auth.upstream';
import { requiredField, upstreamCallOptions } from '../upstream/upstream-call';
import {
  jwksResponse,
  loginBody,
  meResponse,
  refreshBody,
  signUpBody,
  signUpResponse,
  switchOrgBody,
  toMembershipResponse,
  toOrganizationResponse,
  toTokensResponse,
  toUserResponse,
  tokensResponse,
} from './auth.schemas';
import { problemResponses } from '../http/problem-responses';

const TAGS = ['auth'];
// Token responses must not be stored by caches on the way (RFC 6749 §5.1).
const NO_STORE = 'no-store';
const JWKS_CACHE_CONTROL = 'public, max-age=60';

/** `/v1/auth/*` and `/.well-known/jwks.json`, forwarded to the auth service. */
export function registerAuthRoutes(app: HttpApp, deps: { auth: AuthClient; authentication: Authentication }): void {
  const { auth, authentication } = deps;

  app.post(
    '/v1/auth/signup',
    { schema: { tags: TAGS, summary: 'Create a user and their organization, and sign in', body: signUpBody, response: { 201: signUpResponse, ...problemResponses(409, 429) } } },
    async (request, reply) => {
      const answer = await auth.signUp(request.body, upstreamCallOptions(request));
      const tokens = requiredField(answer.tokens, 'tokens');
      return reply
        .status(201)
        .header('cache-control', NO_STORE)
        .send({
          user: toUserResponse(requiredField(answer.user, 'user')),
          organization: toOrganizationResponse(requiredField(answer.organization, 'organization')),
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresIn: tokens.expiresIn,
        });
    },
  );

  app.post(
    '/v1/auth/login',
    { schema: { tags: TAGS, summary: 'Sign in to an organization', body: loginBody, response: { 200: tokensResponse, ...problemResponses(401, 409, 429) } } },
    async (request, reply) => {
      const { email, password, organizationId } = request.body;
      const answer = await auth.login({ email, password, organizationId: organizationId ?? '' }, upstreamCallOptions(request));
      return reply.header('cache-control', NO_STORE).send(toTokensResponse(requiredField(answer.tokens, 'tokens')));
    },
  );

  app.post(
    '/v1/auth/refresh',
    { schema: { tags: TAGS, summary: 'Rotate a refresh token for new tokens', body: refreshBody, response: { 200: tokensResponse, ...problemResponses(401, 429) } } },
    async (request, reply) => {
      const answer = await auth.refresh(request.body, upstreamCallOptions(request));
      return reply.header('cache-control', NO_STORE).send(toTokensResponse(requiredField(answer.tokens, 'tokens')));
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      ...authentication.hooks,
      schema: { ...authenticatedRouteSchema, tags: TAGS, summary: "Revoke the caller's session", response: { 204: z.null().describe('Session revoked') } },
    },
    async (request, reply) => {
      await auth.logout({}, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/auth/me',
    {
      ...authentication.hooks,
      schema: { ...authenticatedRouteSchema, tags: TAGS, summary: 'The caller, its organization and role, every membership', response: { 200: meResponse } },
    },
    async (request) => {
      const me = await auth.getMe({}, authentication.callOptionsOf(request));
      return {
        ...(me.user === undefined ? {} : { user: toUserResponse(me.user) }),
        ...(me.apiKey === undefined ? {} : { apiKey: toApiKeyResponse(me.apiKey) }),
        organization: { id: me.organizationId, role: me.role },
        memberships: me.memberships.map(toMembershipResponse),
      };
    },
  );

  app.post(
    '/v1/auth/switch-org',
    {
      ...authentication.hooks,
      schema: {
        ...authenticatedRouteSchema,
        tags: TAGS,
        summary: "Tokens for another of the caller's organizations",
        body: switchOrgBody,
        response: { 200: tokensResponse, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const answer = await auth.switchOrg(request.body, authentication.callOptionsOf(request));
      return reply.header('cache-control', NO_STORE).send(toTokensResponse(requiredField(answer.tokens, 'tokens')));
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: TAGS, summary: 'The public keys that verify access tokens (RFC 7517)', response: { 200: jwksResponse } } },
    async (request, reply) => {
      const { keys } = await auth.getJwks({}, upstreamCallOptions(request));
      return reply.header('cache-control', JWKS_CACHE_CONTROL).send({ keys });
    },
  );
}
