import { AuthServiceClient, MembershipServiceClient, ProjectServiceClient } from '@bulkhead/contracts';
import type { AuthServiceService, MembershipServiceService, ProjectServiceService } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient, type GrpcClient } from '@bulkhead/grpc-kit';

/** The services the org service calls, always with its caller's token (ADR 0004). */
export interface Upstreams {
  auth: GrpcClient<typeof AuthServiceService>;
  membership: GrpcClient<typeof MembershipServiceService>;
  projects: GrpcClient<typeof ProjectServiceService>;
}

/** Upstream calls fail fast: the org service answers users, who should not wait 10 s on a peer. */
const UPSTREAM_DEADLINE_MS = 5000;

export function createUpstreams(addresses: { auth: string; project: string }): Upstreams & { close(): void } {
  const options = { defaultDeadlineMs: UPSTREAM_DEADLINE_MS };
  const upstreams = {
    auth: createGrpcClient(AuthServiceClient, addresses.auth, options),
    membership: createGrpcClient(MembershipServiceClient, addresses.auth, options),
    projects: createGrpcClient(ProjectServiceClient, addresses.project, options),
  };
  return {
    ...upstreams,
    close() {
      closeGrpcClient(upstreams.auth);
      closeGrpcClient(upstreams.membership);
      closeGrpcClient(upstreams.projects);
    },
  };
}
