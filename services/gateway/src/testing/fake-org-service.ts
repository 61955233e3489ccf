import { OrgServiceService, type orgV1 } from '@bulkhead/contracts';
import { notFound } from '@bulkhead/errors';
import type { CallContext } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import type { AuthContext } from '@bulkhead/tokens';
import { createCallRecorder, listenFake, type ListeningFake, type RecordedCalls } from './call-recorder';
import { OTHER_TENANT_ID, TENANT_ID, USER_ID, type TestTokens } from './test-tokens';

/** A method of the org service, by its client name (`getOrganization`, …). */
export type OrgMethod = keyof typeof OrgServiceService;

/** A stand-in for the org service on a real gRPC server: canned answers, recorded calls. */
export interface FakeOrgService extends ListeningFake, RecordedCalls<OrgMethod> {}

export const INVITATION_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a90';
export const INVITATION_TOKEN = `bhi_${'0123456789abcdef'.repeat(4)}`;
const CREATED_AT = '2026-01-02T03:04:05.000Z';

export const ORGANIZATION: orgV1.Organization = {
  id: TENANT_ID,
  name: 'Acme',
  slug: 'acme',
  plan: 'basic',
  limits: { projects: 3, members: 5, workflows: 10, agents: 5, requestsPerMinute: 600, concurrentRuns: 2, storageBytes: 10 * 1024 * 1024 },
  settings: { theme: 'dark' },
  createdAt: CREATED_AT,
  updatedAt: CREATED_AT,
};

export const MEMBER: orgV1.Member = { userId: USER_ID, email: 'ada@example.com', name: 'Ada', role: 'owner', joinedAt: CREATED_AT };

export const INVITATION: orgV1.Invitation = {
  id: INVITATION_ID,
  email: 'grace@example.com',
  role: 'member',
  status: 'pending',
  createdBy: USER_ID,
  createdAt: CREATED_AT,
  expiresAt: '2026-01-09T03:04:05.000Z',
  acceptedAt: undefined,
  revokedAt: undefined,
};

/**
 * Starts a fake OrgService on `127.0.0.1:0` behind the real auth middleware. Like the real one
 * it acts on the token's organization only: any other organization id is NOT_FOUND.
 */
export async function startFakeOrgService(logger: Logger, tokens: TestTokens): Promise<FakeOrgService> {
  const { record, ...calls } = createCallRecorder<OrgMethod>();
  const ownOrganization = (method: OrgMethod, request: unknown, ctx: CallContext & AuthContext, organizationId: string): void => {
    record(method, request, ctx);
    if (organizationId !== ctx.principal?.tenantId) throw notFound('Organization');
  };
  const server = await listenFake(logger, tokens, OrgServiceService, {
    async provisionOrganization(request, ctx) {
      record('provisionOrganization', request, ctx);
      return { organization: ORGANIZATION };
    },
    async listOrganizations(request, ctx) {
      record('listOrganizations', request, ctx);
      return {
        items: [
          { id: TENANT_ID, name: 'Acme', role: 'owner' },
          { id: OTHER_TENANT_ID, name: 'Globex', role: 'viewer' },
        ],
        page: { nextCursor: 'orgs-2' },
      };
    },
    async getOrganization(request, ctx) {
      ownOrganization('getOrganization', request, ctx, request.id);
      return { organization: ORGANIZATION };
    },
    async updateOrganization(request, ctx) {
      ownOrganization('updateOrganization', request, ctx, request.id);
      const { id: _id, ...changes } = request;
      const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      return { organization: { ...ORGANIZATION, ...defined } };
    },
    async deleteOrganization(request, ctx) {
      ownOrganization('deleteOrganization', request, ctx, request.id);
      return {};
    },
    async listMembers(request, ctx) {
      ownOrganization('listMembers', request, ctx, request.organizationId);
      return { items: [MEMBER], page: { nextCursor: '' } };
    },
    async updateMemberRole(request, ctx) {
      ownOrganization('updateMemberRole', request, ctx, request.organizationId);
      return { member: { ...MEMBER, userId: request.userId, role: request.role } };
    },
    async removeMember(request, ctx) {
      ownOrganization('removeMember', request, ctx, request.organizationId);
      return {};
    },
    async createInvitation(request, ctx) {
      ownOrganization('createInvitation', request, ctx, request.organizationId);
      return { invitation: { ...INVITATION, email: request.email, role: request.role }, token: INVITATION_TOKEN };
    },
    async listInvitations(request, ctx) {
      ownOrganization('listInvitations', request, ctx, request.organizationId);
      return { items: [INVITATION], page: { nextCursor: '' } };
    },
    async revokeInvitation(request, ctx) {
      ownOrganization('revokeInvitation', request, ctx, request.organizationId);
      return {};
    },
    async redeemInvitation(request, ctx) {
      record('redeemInvitation', request, ctx);
      return { role: 'member', organizationName: 'Acme', invitationId: '0190f5a4-0000-7000-8000-00000000a11d' };
    },
    async getUsage(request, ctx) {
      ownOrganization('getUsage', request, ctx, request.organizationId);
      return {
        plan: 'basic',
        items: [
          { resource: 'projects', used: 2, limit: 3, used64: 2, limit64: 3 },
          { resource: 'members', used: 1, limit: 5, used64: 1, limit64: 5 },
          { resource: 'storageBytes', used: 2 ** 31 - 1, limit: 2 ** 31 - 1, used64: 3 * 2 ** 31, limit64: 50 * 2 ** 30 },
        ],
      };
    },
  });
  return { ...calls, ...server };
}
