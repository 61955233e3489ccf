import { AuthServiceClient, type AuthServiceService } from '@bulkhead/contracts';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { createUpstreamClient, type UpstreamClient } from './upstream-client';

/** The auth service's client as the gateway's routes call it. */
export type AuthClient = GrpcClient<typeof AuthServiceService>;

/** The auth service at `address`; failures to reach it answer 503 naming `auth`. */
export function createAuthUpstream(address: string, deadlineMs: number): UpstreamClient<typeof AuthServiceService> {
  return createUpstreamClient('auth', AuthServiceClient, address, { defaultDeadlineMs: deadlineMs });
}
