import { AuthServiceService, type ApiKey, type TokenPair } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import type { Logger } from '@bulkhead/observability';
import { toJwksMessage } from '@bulkhead/tokens';
import { createCallRecorder, listenFake, type ListeningFake, type RecordedCalls } from './call-recorder';
import { OTHER_TENANT_ID, TENANT_ID, TEST_USER, USER_ID, type TestTokens } from './test-tokens';

/** The secret {@link startFakeAuthService} exchanges; any other `bhk_` secret is refused. */
export const API_KEY_SECRET = 'bhk_0123456789abcdefghijklmnopqrstuv';
export const API_KEY_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a70';
/** The organization {@link startFakeAuthService}'s CreateOrganization answers. */
export const NEW_ORGANIZATION_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a71';

/** A method of the auth service, by its client name (`login`, `exchangeApiKey`, …). */
export type AuthMethod = keyof typeof AuthServiceService;

/** A stand-in for the auth service on a real gRPC server: canned answers, recorded calls. */
export interface FakeAuthService extends ListeningFake, RecordedCalls<AuthMethod> {}

const PUBLIC_METHODS: readonly AuthMethod[] = ['signUp', 'login', 'refresh', 'exchangeApiKey', 'getJwks'];

const API_KEY: ApiKey = {
  id: API_KEY_ID,
  name: 'ci',
  prefix: 'bhk_0123',
  role: 'member',
  scopes: ['projects:read'],
  projectId: '',
  createdBy: USER_ID,
  createdAt: '2026-01-02T03:04:05.000Z',
  expiresAt: undefined,
  lastUsedAt: undefined,
  revokedAt: undefined,
};

/** The refresh token every token pair of the fake carries (the real format: `bhr_` and 43 base64url characters). */
export const ISSUED_REFRESH_TOKEN = `bhr_${'1'.repeat(43)}`;

/**
 * Starts a fake AuthService on `127.0.0.1:0`, authenticating callers with the real grpc-kit auth
 * middleware and issuing real tokens from `tokens`, so the gateway's forwarding is tested end to
 * end over gRPC.
 */
export async function startFakeAuthService(logger: Logger, tokens: TestTokens): Promise<FakeAuthService> {
  const { record, ...calls } = createCallRecorder<AuthMethod>();
  const tokenPair = async (organizationId = TENANT_ID): Promise<TokenPair> => ({
    accessToken: await tokens.sign({ ...TEST_USER, tid: organizationId }),
    refreshToken: ISSUED_REFRESH_TOKEN,
    expiresIn: 300,
    organizationId,
  });

  const server = await listenFake(logger, tokens, AuthServiceService, {
    async signUp(request, ctx) {
      record('signUp', request, ctx);
      return {
        user: { id: USER_ID, email: request.email, name: request.name, createdAt: '2026-01-02T03:04:05.000Z' },
        organization: { id: TENANT_ID, name: request.organizationName, slug: 'acme' },
        tokens: await tokenPair(),
      };
    },
    async login(request, ctx) {
      record('login', request, ctx);
      return { tokens: await tokenPair(request.organizationId || TENANT_ID) };
    },
    async refresh(request, ctx) {
      record('refresh', request, ctx);
      return { tokens: await tokenPair() };
    },
    async logout(request, ctx) {
      record('logout', request, ctx);
      return {};
    },
    async getMe(request, ctx) {
      record('getMe', request, ctx);
      const principal = ctx.principal;
      if (principal?.type === 'apiKey') {
        return { apiKey: API_KEY, organizationId: principal.tenantId, role: principal.role, memberships: [] };
      }
      return {
        user: { id: USER_ID, email: 'ada@example.com', name: 'Ada', createdAt: '2026-01-02T03:04:05.000Z' },
        organizationId: principal?.tenantId ?? '',
        role: principal?.role ?? '',
        memberships: [{ organizationId: TENANT_ID, organizationName: 'Acme', role: 'owner' }],
      };
    },
    async switchOrg(request, ctx) {
      record('switchOrg', request, ctx);
      return { tokens: await tokenPair(request.organizationId) };
    },
    async createApiKey(request, ctx) {
      record('createApiKey', request, ctx);
      return { apiKey: { ...API_KEY, name: request.name, role: request.role || 'member' }, secret: API_KEY_SECRET };
    },
    async listApiKeys(request, ctx) {
      record('listApiKeys', request, ctx);
      return { items: [API_KEY], page: { nextCursor: 'cursor-2' } };
    },
    async revokeApiKey(request, ctx) {
      record('revokeApiKey', request, ctx);
      return {};
    },
    async exchangeApiKey(request, ctx) {
      record('exchangeApiKey', request, ctx);
      if (request.secret !== API_KEY_SECRET) {
        throw new AppError({ kind: 'UNAUTHENTICATED', code: 'API_KEY_INVALID', message: 'The API key is invalid.' });
      }
      const accessToken = await tokens.sign({
        sub: API_KEY_ID,
        tid: TENANT_ID,
        role: API_KEY.role,
        sid: API_KEY_ID,
        scope: API_KEY.scopes,
        principalType: 'apiKey',
      });
      return { accessToken, expiresIn: 300, organizationId: TENANT_ID };
    },
    async createOrganization(request, ctx) {
      record('createOrganization', request, ctx);
      return { organization: { id: NEW_ORGANIZATION_ID, name: request.name, slug: request.slug || 'new-org' } };
    },
    async acceptInvitation(request, ctx) {
      record('acceptInvitation', request, ctx);
      return { membership: { organizationId: OTHER_TENANT_ID, organizationName: 'Globex', role: 'member' } };
    },
    async getJwks(request, ctx) {
      record('getJwks', request, ctx);
      return toJwksMessage(tokens.jwks);
    },
  }, PUBLIC_METHODS);
  return { ...calls, ...server };
}
