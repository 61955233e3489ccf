import { WorkflowServiceClient, type WorkflowServiceService } from '@bulkhead/contracts';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { createUpstreamClient, type UpstreamClient } from './upstream-client';

/** The workflow service's client as the gateway's routes call it. */
export type WorkflowClient = GrpcClient<typeof WorkflowServiceService>;

/** The workflow service at `address`; failures to reach it answer 503 naming `workflow`. */
export function createWorkflowUpstream(address: string, deadlineMs: number): UpstreamClient<typeof WorkflowServiceService> {
  return createUpstreamClient('workflow', WorkflowServiceClient, address, { defaultDeadlineMs: deadlineMs });
}
