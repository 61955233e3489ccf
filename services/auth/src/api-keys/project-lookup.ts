import { ProjectServiceClient, type ProjectServiceService } from '@bulkhead/contracts';
import { invalidArgument, isAppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, fromGrpcError, type GrpcClient, type ParentCall } from '@bulkhead/grpc-kit';
import type { Metadata } from '@grpc/grpc-js';

/** How auth checks the project a new API key is bound to. */
export interface ProjectLookup {
  /**
   * Resolves when the caller (whose own token is in `metadata`) can see project `projectId` of
   * their organization; a project that does not exist, is another organization's or is hidden
   * from them is INVALID_ARGUMENT naming `projectId`, so a key is never bound to one.
   */
  requireVisible(projectId: string, metadata: Metadata, parent: ParentCall | undefined): Promise<void>;
  close(): void;
}

/** The project service at `address`, asked with the caller's own token. */
export function createProjectLookup(address: string, deadlineMs = 5000): ProjectLookup {
  const client: GrpcClient<typeof ProjectServiceService> = createGrpcClient(ProjectServiceClient, address, { defaultDeadlineMs: deadlineMs });
  return {
    async requireVisible(projectId, metadata, parent) {
      try {
        await client.getProject({ id: projectId }, { metadata, ...(parent === undefined ? {} : { parent }) });
      } catch (err) {
        const error = isAppError(err) ? err : fromGrpcError(err);
        if (error.kind === 'NOT_FOUND') throw invalidArgument([{ field: 'projectId', description: 'names no project of this organization that you can see' }]);
        throw error;
      }
    },
    close: () => closeGrpcClient(client),
  };
}
