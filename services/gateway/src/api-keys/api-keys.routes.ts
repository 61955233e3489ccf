import { authenticatedRouteSchema, type Authentication } from '../authentication/authentication.hooks';
import { nextCursorOf, noContent, pageQuery, pageRequestOf } from '../http/common.schemas';
import type { HttpApp } from '../http/http-app';
import type { AuthClient } from '../upstream/auth.upstream';
import { requiredField } from '../upstream/upstream-call';
import {
  apiKeyIdParams,
  apiKeyListResponse,
  createApiKeyBody,
  createdApiKeyResponse,
  toApiKeyResponse,
} from './api-keys.schemas';

const TAGS = ['api keys'];

/** `/v1/api-keys`: the organization's API keys (owner, admin; the auth service decides). */
export function registerApiKeyRoutes(app: HttpApp, deps: { auth: AuthClient; authentication: Authentication }): void {
  const { auth, authentication } = deps;

  app.get(
    '/v1/api-keys',
    {
      ...authentication.hooks,
      schema: {
        ...authenticatedRouteSchema,
        tags: TAGS,
        summary: "The organization's API keys, newest first (never their secrets)",
        querystring: pageQuery,
        response: { 200: apiKeyListResponse },
      },
    },
    async (request) => {
      const answer = await auth.listApiKeys({ page: pageRequestOf(request.query) }, authentication.callOptionsOf(request));
      return { items: answer.items.map(toApiKeyResponse), nextCursor: nextCursorOf(answer.page) };
    },
  );

  app.post(
    '/v1/api-keys',
    {
      ...authentication.hooks,
      schema: {
        ...authenticatedRouteSchema,
        tags: TAGS,
        summary: 'Create an API key; its secret is in this response only',
        body: createApiKeyBody,
        response: { 201: createdApiKeyResponse },
      },
    },
    async (request, reply) => {
      const { name, role, scopes, expiresAt, projectId } = request.body;
      const answer = await auth.createApiKey(
        { name, role: role ?? '', scopes: scopes ?? [], expiresAt, projectId: projectId ?? '' },
        authentication.callOptionsOf(request),
      );
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .send({ apiKey: toApiKeyResponse(requiredField(answer.apiKey, 'apiKey')), secret: answer.secret });
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      ...authentication.hooks,
      schema: {
        ...authenticatedRouteSchema,
        tags: TAGS,
        summary: 'Revoke an API key; tokens exchanged for it stop working within seconds',
        params: apiKeyIdParams,
        response: { 204: noContent('Revoked') },
      },
    },
    async (request, reply) => {
      await auth.revokeApiKey({ id: request.params.id }, authentication.callOptionsOf(request));
      return reply.status(204).send(null);
    },
  );
}
