import { AgentServiceClient, type AgentServiceService } from '@bulkhead/contracts';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import { createUpstreamClient, type UpstreamClient } from './upstream-client';

/** The agent service's client as the gateway's routes call it. */
export type AgentClient = GrpcClient<typeof AgentServiceService>;

/** The agent service at `address`; failures to reach it answer 503 naming `agent`. */
export function createAgentUpstream(address: string, deadlineMs: number): UpstreamClient<typeof AgentServiceService> {
  return createUpstreamClient('agent', AgentServiceClient, address, { defaultDeadlineMs: deadlineMs });
}
