import { OrgServiceService, type orgV1 } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { createGrpcServer, type CallContext, type GrpcServer, type ServiceImplementation } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import { AUTHORIZATION_METADATA_KEY, type Principal, type TokenVerifier } from '@bulkhead/tokens';

/** One call the fake received: the RPC, the verified caller, the request. */
export interface OrgCall {
  method: 'provisionOrganization' | 'redeemInvitation';
  principal: Principal;
  /** The bearer token itself (a service token, reusable by the test for a minute). */
  token: string;
  /** The `x-request-id` it carried. */
  requestId: string;
  request: orgV1.ProvisionOrganizationRequest | orgV1.RedeemInvitationRequest;
}

/** An OrgService on port 0 that records calls and answers as the test says. */
export interface FakeOrgService {
  readonly address: string;
  readonly calls: OrgCall[];
  /** Verifies the bearer token of every call; set once the auth service under test runs. */
  verifier: TokenVerifier | undefined;
  /** The next calls fail with this error until it is cleared. */
  failWith: AppError | undefined;
  /** The role RedeemInvitation grants. */
  grantedRole: string;
  /** The invitation RedeemInvitation says it redeemed. */
  invitationId: string;
  stop(): Promise<void>;
}

const unimplemented = async (): Promise<never> => {
  throw new AppError({ kind: 'UNIMPLEMENTED', code: 'UNIMPLEMENTED', message: 'not faked' });
};

export async function startFakeOrgService(logger: Logger): Promise<FakeOrgService> {
  const server: GrpcServer = createGrpcServer({ logger });
  const fake: FakeOrgService = {
    address: '',
    calls: [],
    verifier: undefined,
    failWith: undefined,
    grantedRole: 'member',
    invitationId: '0190f5a4-0000-7000-8000-00000000a11d',
    stop: () => server.shutdown({ timeoutMs: 500 }),
  };

  async function record(method: OrgCall['method'], request: OrgCall['request'], ctx: CallContext): Promise<void> {
    const [value] = ctx.metadata.get(AUTHORIZATION_METADATA_KEY);
    const token = typeof value === 'string' ? value.replace(/^Bearer /, '') : '';
    if (fake.verifier === undefined) throw new Error('the fake org service has no verifier yet');
    // The real org service verifies the same way: auth's JWKS, issuer, audience, revocation list.
    const principal = await fake.verifier.verify(token);
    fake.calls.push({ method, principal, token, requestId: ctx.requestId, request });
    if (fake.failWith !== undefined) throw fake.failWith;
  }

  const handlers: ServiceImplementation<typeof OrgServiceService> = {
    async provisionOrganization(request, ctx) {
      await record('provisionOrganization', request, ctx);
      return { organization: { id: '', name: request.name, slug: request.slug, plan: 'basic' } };
    },
    async redeemInvitation(request, ctx) {
      await record('redeemInvitation', request, ctx);
      return { role: fake.grantedRole, organizationName: '', invitationId: fake.invitationId };
    },
    listOrganizations: unimplemented,
    getOrganization: unimplemented,
    updateOrganization: unimplemented,
    deleteOrganization: unimplemented,
    listMembers: unimplemented,
    updateMemberRole: unimplemented,
    removeMember: unimplemented,
    createInvitation: unimplemented,
    listInvitations: unimplemented,
    revokeInvitation: unimplemented,
    getUsage: unimplemented,
  };
  server.addService(OrgServiceService, handlers);
  const port = await server.listen('127.0.0.1:0');
  return Object.assign(fake, { address: `127.0.0.1:${port}` });
}
