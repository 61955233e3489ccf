import { MembershipServiceClient, type MembershipServiceService } from '@bulkhead/contracts';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { createUpstreamClient, type UpstreamClient } from './upstream-client';

/** The auth service's internal MembershipService (the organization registry: slugs, members). */
export type MembershipClient = GrpcClient<typeof MembershipServiceService>;

/**
 * MembershipService at `address` (the auth service's, ADR 0004); failures to reach it answer
 * 503 naming `auth`, the service that serves it.
 */
export function createMembershipUpstream(address: string, deadlineMs: number): UpstreamClient<typeof MembershipServiceService> {
  return createUpstreamClient('auth', MembershipServiceClient, address, { defaultDeadlineMs: deadlineMs });
}
