import { auditOriginOf } from '@bulkhead/audit';
import {
  type ApiKey,
  type AuthServiceService,
  type Membership,
  type Organization,
  type TokenPair,
  type User,
} from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { parseRequest, readPage, type CallContext, type ServiceImplementation } from '@bulkhead/grpc-kit';
import { API_KEY_ROLES, scopeProblem } from '@bulkhead/permissions';
import { toJwksMessage, type AuthContext, type Principal } from '@bulkhead/tokens';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import type { ApiKeysService } from './api-keys/api-keys.service';
import type { ApiKeyRecord } from './api-keys/api-keys.repository';
import type { UserRecord } from './accounts/accounts.repository';
import type { OrganizationsService } from './organizations/organizations.service';
import type { OrganizationRecord } from './organizations/organizations.repository';
import { slugSchema } from './organizations/slugs';
import type { SessionsService, SessionTokens } from './sessions/sessions.service';

const email = z.string().trim().max(320, 'must be at most 320 characters').pipe(z.email('must be an email address'));
export const displayName = z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters');
const password = z.string().min(1, 'is required').refine((value) => Buffer.byteLength(value, 'utf8') <= 1024, 'must be at most 1024 bytes');
const optionalUuid = z.union([z.literal('').transform(() => undefined), z.uuid('must be a UUID')]);
const optionalSlug = z.union([z.literal('').transform(() => undefined), slugSchema]);
const scope = z.string().superRefine((value, ctx) => {
  const problem = scopeProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem}: scopes are resource:action from the catalogue (ADR 0013)` });
});

const schemas = {
  signUp: z.object({ email, password, name: displayName, organizationName: displayName }),
  login: z.object({ email, password, organizationId: optionalUuid }),
  refresh: z.object({ refreshToken: z.string().min(1, 'is required').max(512, 'is not a refresh token') }),
  switchOrg: z.object({ organizationId: z.uuid('must be a UUID') }),
  createApiKey: z.object({
    name: displayName,
    role: z.union([z.literal('').transform(() => 'member' as const), z.enum(API_KEY_ROLES, `must be one of ${API_KEY_ROLES.join(', ')}`)]),
    scopes: z.array(scope).max(32, 'must list at most 32 scopes'),
    expiresAt: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time' }).transform((value) => new Date(value)).optional(),
    projectId: optionalUuid,
  }),
  revokeApiKey: z.object({ id: z.uuid('must be a UUID') }),
  exchangeApiKey: z.object({ secret: z.string().min(1, 'is required').max(512, 'is not an API key') }),
  createOrganization: z.object({ name: displayName, slug: optionalSlug }),
  acceptInvitation: z.object({ token: z.string().min(1, 'is required').max(256, 'is not an invitation token') }),
};

export type AuthCallContext = CallContext & AuthContext;

export function callerOf(ctx: AuthCallContext): Principal {
  if (ctx.principal === undefined) throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING', message: 'An access token is required.' });
  return ctx.principal;
}

const toUser = (user: UserRecord): User => ({ id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() });

const toOrganization = (org: OrganizationRecord): Organization => ({ id: org.id, name: org.name, slug: org.slug });

const toTokenPair = (tokens: SessionTokens): TokenPair => ({ ...tokens });

const toApiKey = (key: ApiKeyRecord): ApiKey => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  role: key.role,
  scopes: key.scopes,
  projectId: key.projectId ?? '',
  createdBy: key.createdBy ?? '',
  createdAt: key.createdAt.toISOString(),
  expiresAt: key.expiresAt?.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString(),
  revokedAt: key.revokedAt?.toISOString(),
});

/** What the handlers need. */
export interface AuthHandlerDependencies {
  sessions: SessionsService;
  apiKeys: ApiKeysService;
  organizations: OrganizationsService;
  jwks: () => JSONWebKeySet;
}

/** RPCs callable without an access token. */
export const PUBLIC_AUTH_METHODS: ReadonlySet<string> = new Set(
  ['SignUp', 'Login', 'Refresh', 'ExchangeApiKey', 'GetJwks'].map((name) => `/bulkhead.auth.v1.AuthService/${name}`),
);

/** The AuthService: validates each request at the edge, then calls the sessions or API-key service. */
export function createAuthHandlers(deps: AuthHandlerDependencies): ServiceImplementation<typeof AuthServiceService, AuthCallContext> {
  return {
    async signUp(request, ctx) {
      const input = parseRequest(schemas.signUp, request);
      const { user, organization, tokens } = await deps.sessions.signUp(input, auditOriginOf(ctx), ctx);
      return { user: toUser(user), organization: toOrganization(organization), tokens: toTokenPair(tokens) };
    },
    async login(request, ctx) {
      const input = parseRequest(schemas.login, request);
      return { tokens: toTokenPair(await deps.sessions.login(input, auditOriginOf(ctx))) };
    },
    async refresh(request, ctx) {
      const { refreshToken } = parseRequest(schemas.refresh, request);
      return { tokens: toTokenPair(await deps.sessions.refresh(refreshToken, auditOriginOf(ctx))) };
    },
    async logout(_request, ctx) {
      await deps.sessions.logout(callerOf(ctx), auditOriginOf(ctx));
      return {};
    },
    async getMe(_request, ctx) {
      const caller = callerOf(ctx);
      if (caller.type === 'apiKey') {
        const key = await deps.apiKeys.find(caller);
        return { apiKey: toApiKey(key), organizationId: caller.tenantId, role: caller.role, memberships: [] };
      }
      const { user, memberships } = await deps.sessions.me(caller);
      return {
        user: toUser(user),
        organizationId: caller.tenantId,
        role: memberships.find((m) => m.organizationId === caller.tenantId)?.role ?? caller.role,
        memberships: memberships.map((m): Membership => ({ ...m })),
      };
    },
    async switchOrg(request, ctx) {
      const { organizationId } = parseRequest(schemas.switchOrg, request);
      return { tokens: toTokenPair(await deps.sessions.switchOrg(callerOf(ctx), organizationId, auditOriginOf(ctx))) };
    },
    async createApiKey(request, ctx) {
      const input = parseRequest(schemas.createApiKey, request);
      const { apiKey, secret } = await deps.apiKeys.create(callerOf(ctx), input, { origin: auditOriginOf(ctx), metadata: ctx.metadata, parent: ctx });
      return { apiKey: toApiKey(apiKey), secret };
    },
    async listApiKeys(request, ctx) {
      const { items, nextCursor } = await deps.apiKeys.list(callerOf(ctx), readPage(request.page));
      return { items: items.map(toApiKey), page: { nextCursor } };
    },
    async revokeApiKey(request, ctx) {
      const { id } = parseRequest(schemas.revokeApiKey, request);
      await deps.apiKeys.revoke(callerOf(ctx), id, auditOriginOf(ctx));
      return {};
    },
    async exchangeApiKey(request) {
      const { secret } = parseRequest(schemas.exchangeApiKey, request);
      return deps.apiKeys.exchange(secret);
    },
    async getJwks() {
      return toJwksMessage(deps.jwks());
    },
    async createOrganization(request, ctx) {
      const input = parseRequest(schemas.createOrganization, request);
      return { organization: toOrganization(await deps.organizations.create(callerOf(ctx), input, ctx, auditOriginOf(ctx))) };
    },
    async acceptInvitation(request, ctx) {
      const { token } = parseRequest(schemas.acceptInvitation, request);
      return { membership: { ...(await deps.organizations.acceptInvitation(callerOf(ctx), token, ctx, auditOriginOf(ctx))) } };
    },
  };
}
