import { OrgServiceClient, type OrgServiceService } from '@bulkhead/contracts';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { createUpstreamClient, type UpstreamClient } from './upstream-client';

/** The org service's client as the gateway's routes call it. */
export type OrgClient = GrpcClient<typeof OrgServiceService>;

/** The org service at `address`; failures to reach it answer 503 naming `org`. */
export function createOrgUpstream(address: string, deadlineMs: number): UpstreamClient<typeof OrgServiceService> {
  return createUpstreamClient('org', OrgServiceClient, address, { defaultDeadlineMs: deadlineMs });
}
