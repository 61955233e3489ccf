import { AuthServiceService, MembershipServiceService, ProjectServiceService, type GetMeResponse, type membershipV1 } from '@bulkhead/contracts';
import { AppError, notFound } from '@bulkhead/errors';
import { createGrpcServer, type CallContext, type GrpcServer, type ServiceImplementation } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import { AUTHORIZATION_METADATA_KEY, buildJwks, toJwksMessage, type SigningKey } from '@bulkhead/tokens';
import { decodeJwt } from 'jose';

/** One call a fake received: which RPC, the `authorization` it carried, and the request. */
export interface RecordedCall {
  method: string;
  authorization: string | undefined;
  request: unknown;
}

/** What the fake auth and project services know, per organization; tests edit it directly. */
export interface FakeUpstreamState {
  members: Map<string, membershipV1.Member[]>;
  /** GetMe's memberships, per user id. */
  memberships: Map<string, GetMeResponse['memberships']>;
  takenSlugs: Set<string>;
  projects: Map<string, number>;
  calls: RecordedCall[];
}

/** Fake auth (AuthService's JWKS and GetMe, MembershipService) and ProjectService on one port 0 server. */
export interface FakeUpstreams {
  readonly address: string;
  readonly state: FakeUpstreamState;
  stop(): Promise<void>;
}

const unimplemented = async (): Promise<never> => {
  throw new AppError({ kind: 'UNIMPLEMENTED', code: 'UNIMPLEMENTED', message: 'not faked' });
};

/** The caller's token claims, as the real auth service reads them after verifying the token. */
function callerClaims(ctx: CallContext): { tenantId: string; userId: string; authorization: string | undefined } {
  const [value] = ctx.metadata.get(AUTHORIZATION_METADATA_KEY);
  const authorization = typeof value === 'string' ? value : undefined;
  if (authorization === undefined) throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING', message: 'no token forwarded' });
  const claims = decodeJwt(authorization.replace(/^Bearer /, ''));
  return { tenantId: String(claims['tid']), userId: String(claims.sub), authorization };
}

export async function startFakeUpstreams(signingKey: SigningKey, logger: Logger): Promise<FakeUpstreams> {
  const state: FakeUpstreamState = { members: new Map(), memberships: new Map(), takenSlugs: new Set(), projects: new Map(), calls: [] };
  const record = (method: string, request: unknown, ctx: CallContext) => {
    const caller = callerClaims(ctx);
    state.calls.push({ method, authorization: caller.authorization, request });
    return caller;
  };
  const membersOf = (tenantId: string) => state.members.get(tenantId) ?? [];

  const auth: ServiceImplementation<typeof AuthServiceService> = {
    signUp: unimplemented,
    login: unimplemented,
    refresh: unimplemented,
    logout: unimplemented,
    switchOrg: unimplemented,
    createApiKey: unimplemented,
    listApiKeys: unimplemented,
    revokeApiKey: unimplemented,
    exchangeApiKey: unimplemented,
    createOrganization: unimplemented,
    acceptInvitation: unimplemented,
    async getJwks() {
      return toJwksMessage(buildJwks([signingKey.publicJwk]));
    },
    async getMe(request, ctx) {
      const { tenantId, userId } = record('GetMe', request, ctx);
      return { organizationId: tenantId, role: '', memberships: state.memberships.get(userId) ?? [] };
    },
  };

  const membership: ServiceImplementation<typeof MembershipServiceService> = {
    async listMembers(request, ctx) {
      const { tenantId } = record('ListMembers', request, ctx);
      const all = membersOf(tenantId);
      return { items: all.slice(0, request.page?.pageSize || all.length), page: { nextCursor: '' }, total: all.length };
    },
    getMember: unimplemented,
    async changeMemberRole(request, ctx) {
      const { tenantId } = record('ChangeMemberRole', request, ctx);
      const member = membersOf(tenantId).find((m) => m.userId === request.userId);
      if (member === undefined) throw notFound('Member');
      member.role = request.role;
      return { member };
    },
    async removeMember(request, ctx) {
      const { tenantId } = record('RemoveMember', request, ctx);
      state.members.set(
        tenantId,
        membersOf(tenantId).filter((m) => m.userId !== request.userId),
      );
      return {};
    },
    async updateOrganization(request, ctx) {
      record('UpdateOrganization', request, ctx);
      if (request.slug !== undefined && state.takenSlugs.has(request.slug)) {
        throw new AppError({ kind: 'ALREADY_EXISTS', code: 'SLUG_TAKEN', message: 'That slug is taken.' });
      }
      return {};
    },
    async deleteOrganization(request, ctx) {
      const { tenantId } = record('DeleteOrganization', request, ctx);
      state.members.delete(tenantId);
      return {};
    },
    resolveSlug: unimplemented,
  };

  const projects: ServiceImplementation<typeof ProjectServiceService> = {
    createProject: unimplemented,
    getProject: unimplemented,
    listProjects: unimplemented,
    updateProject: unimplemented,
    deleteProject: unimplemented,
    listProjectMembers: unimplemented,
    setProjectMember: unimplemented,
    removeProjectMember: unimplemented,
    async getProjectUsage(request, ctx) {
      const { tenantId } = record('GetProjectUsage', request, ctx);
      return { projects: state.projects.get(tenantId) ?? 0 };
    },
  };

  const server: GrpcServer = createGrpcServer({ logger });
  server.addService(AuthServiceService, auth);
  server.addService(MembershipServiceService, membership);
  server.addService(ProjectServiceService, projects);
  const port = await server.listen('127.0.0.1:0');
  return {
    address: `127.0.0.1:${port}`,
    state,
    stop: () => server.shutdown({ timeoutMs: 500 }),
  };
}
