import { OrgServiceClient, type OrgServiceService } from '@bulkhead/contracts';
import { AppError, isAppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, fromGrpcError, type GrpcClient, type ParentCall } from '@bulkhead/grpc-kit';
import type { ServiceTokens } from '../service-tokens/service-tokens';

/**
 * What auth asks of the org service, each call with a service token for the org concerned and,
 * when given, the request id, deadline and cancellation of the call auth is serving.
 */
export interface OrgServiceCalls {
  /** Creates (or finds: idempotent) the org's profile on its shard. */
  provision(organizationId: string, org: { name: string; slug: string }, parent: ParentCall | undefined): Promise<void>;
  /** Checks and uses up an invitation of the org; answers the role it grants. */
  redeemInvitation(
    organizationId: string,
    invitation: { token: string; userId: string; email: string; memberCount: number },
    parent: ParentCall | undefined,
  ): Promise<{ role: string; invitationId: string }>;
  close(): void;
}

// A failure without the org service's own error (no connection, our deadline) never reached a
// handler: it is the org service being unavailable, and is named so. Its own errors pass through.
function orgCallError(err: unknown): AppError {
  const error = isAppError(err) ? err : fromGrpcError(err);
  if ((error.kind !== 'UNAVAILABLE' && error.kind !== 'DEADLINE_EXCEEDED') || error.code !== error.kind) return error;
  return new AppError({
    kind: 'UNAVAILABLE',
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'A service this request needs (org) is unavailable; try again shortly.',
    details: { dependency: 'org' },
    cause: error,
  });
}

/** The org service's client at `address`, authenticated per call by `serviceTokens`. */
export function createOrgServiceCalls(address: string, serviceTokens: ServiceTokens, deadlineMs = 5000): OrgServiceCalls {
  const client: GrpcClient<typeof OrgServiceService> = createGrpcClient(OrgServiceClient, address, { defaultDeadlineMs: deadlineMs });
  return {
    async provision(organizationId, org, parent) {
      const metadata = await serviceTokens.metadataFor(organizationId);
      await client.provisionOrganization(org, { metadata, parent }).catch((err: unknown) => {
        throw orgCallError(err);
      });
    },
    async redeemInvitation(organizationId, invitation, parent) {
      const metadata = await serviceTokens.metadataFor(organizationId);
      const reply = await client.redeemInvitation(invitation, { metadata, parent }).catch((err: unknown) => {
        throw orgCallError(err);
      });
      return { role: reply.role, invitationId: reply.invitationId };
    },
    close: () => closeGrpcClient(client),
  };
}
