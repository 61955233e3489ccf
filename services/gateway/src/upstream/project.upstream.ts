import { ProjectServiceClient, type ProjectServiceService } from '@bulkhead/contracts';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { createUpstreamClient, type UpstreamClient } from './upstream-client';

/** The project service's client as the gateway's routes call it. */
export type ProjectClient = GrpcClient<typeof ProjectServiceService>;

/** The project service at `address`; failures to reach it answer 503 naming `project`. */
export function createProjectUpstream(address: string, deadlineMs: number): UpstreamClient<typeof ProjectServiceService> {
  return createUpstreamClient('project', ProjectServiceClient, address, { defaultDeadlineMs: deadlineMs });
}
