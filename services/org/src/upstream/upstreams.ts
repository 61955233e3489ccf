import { AgentServiceClient, AuthServiceClient, MembershipServiceClient, ProjectServiceClient, WorkflowServiceClient } from '@bulkhead/contracts';
import type { AgentServiceService, AuthServiceService, MembershipServiceService, ProjectServiceService, WorkflowServiceService } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient, type GrpcClient } from '@bulkhead/grpc-kit';

/** The services the org service calls, always with its caller's token (ADR 0004). */
export interface Upstreams {
  auth: GrpcClient<typeof AuthServiceService>;
  membership: GrpcClient<typeof MembershipServiceService>;
  projects: GrpcClient<typeof ProjectServiceService>;
  /** Absent when the org service is not given the agent service's address. */
  agents?: GrpcClient<typeof AgentServiceService> | undefined;
  /** Absent when the org service is not given the workflow service's address. */
  workflows?: GrpcClient<typeof WorkflowServiceService> | undefined;
}

/** Upstream calls fail fast: the org service answers users, who should not wait 10 s on a peer. */
const UPSTREAM_DEADLINE_MS = 5000;

export function createUpstreams(addresses: { auth: string; project: string; agent?: string | undefined; workflow?: string | undefined }): Upstreams & { close(): void } {
  const options = { defaultDeadlineMs: UPSTREAM_DEADLINE_MS };
  const upstreams = {
    auth: createGrpcClient(AuthServiceClient, addresses.auth, options),
    membership: createGrpcClient(MembershipServiceClient, addresses.auth, options),
    projects: createGrpcClient(ProjectServiceClient, addresses.project, options),
    agents: addresses.agent === undefined ? undefined : createGrpcClient(AgentServiceClient, addresses.agent, options),
    workflows: addresses.workflow === undefined ? undefined : createGrpcClient(WorkflowServiceClient, addresses.workflow, options),
  };
  return {
    ...upstreams,
    close() {
      closeGrpcClient(upstreams.auth);
      closeGrpcClient(upstreams.membership);
      closeGrpcClient(upstreams.projects);
      if (upstreams.agents !== undefined) closeGrpcClient(upstreams.agents);
      if (upstreams.workflows !== undefined) closeGrpcClient(upstreams.workflows);
    },
  };
}
