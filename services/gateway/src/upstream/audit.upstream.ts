import { AuditReviewServiceClient, type AuditReviewServiceService } from '@bulkhead/contracts';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { createUpstreamClient, type UpstreamClient } from './upstream-client';

/** The audit (compliance-log) service's reviewer API as the gateway's routes call it. */
export type AuditClient = GrpcClient<typeof AuditReviewServiceService>;

/** The audit service at `address`; failures to reach it answer 503 naming `audit`. */
export function createAuditUpstream(address: string, deadlineMs: number): UpstreamClient<typeof AuditReviewServiceService> {
  return createUpstreamClient('audit', AuditReviewServiceClient, address, { defaultDeadlineMs: deadlineMs });
}
