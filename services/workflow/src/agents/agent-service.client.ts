import { Metadata } from '@grpc/grpc-js';
import { WORKLOAD_KEY_METADATA_KEY, type AgentServiceService, type WorkloadTokenServiceService } from '@bulkhead/contracts';
import { AppError, isAppError, type ErrorKind } from '@bulkhead/errors';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import type { JsonValue } from '@bulkhead/templates';
import { bearerMetadata } from '@bulkhead/tokens';
import type { AgentDirectory, AgentInvoker } from './agents';

/** Refusals that no retry changes: the agent is gone, disabled, or the input is wrong. */
const PERMANENT: ReadonlySet<ErrorKind> = new Set(['NOT_FOUND', 'PERMISSION_DENIED', 'FAILED_PRECONDITION', 'INVALID_ARGUMENT', 'UNPROCESSABLE', 'UNAUTHENTICATED']);

/** Tenant service tokens from auth, cached until ten seconds before they expire. */
export function createServiceTokenSource(workloadTokens: GrpcClient<typeof WorkloadTokenServiceService>, workloadKey: string) {
  const cached = new Map<string, { token: string; until: number }>();
  return {
    async tokenFor(tenantId: string): Promise<string> {
      const hit = cached.get(tenantId);
      if (hit !== undefined && hit.until > Date.now()) return hit.token;
      const metadata = new Metadata();
      metadata.set(WORKLOAD_KEY_METADATA_KEY, workloadKey);
      const { accessToken, expiresIn } = await workloadTokens.mintServiceToken({ tenantId }, { metadata });
      cached.set(tenantId, { token: accessToken, until: Date.now() + (expiresIn - 10) * 1000 });
      return accessToken;
    },
  };
}

export type ServiceTokenSource = ReturnType<typeof createServiceTokenSource>;

/** Agents checked with the caller's token: a step's agent must be in the caller's organization. */
export function createAgentDirectory(agents: GrpcClient<typeof AgentServiceService>): AgentDirectory {
  return {
    async requireAgents(caller, steps) {
      for (const [index, step] of steps.entries()) {
        try {
          await agents.getAgent({ id: step.agentId }, caller.upstream);
        } catch (err) {
          if (isAppError(err) && err.kind === 'NOT_FOUND') {
            throw new AppError({
              kind: 'NOT_FOUND',
              code: 'AGENT_NOT_FOUND',
              message: 'Agent not found',
              fieldViolations: [{ field: `steps[${index}].agentId`, description: 'is not an agent of the organization' }],
            });
          }
          throw err;
        }
      }
    },
  };
}

/** Workers' invocations: a service token for the tenant, the step's timeout as the deadline. */
export function createAgentInvoker(agents: GrpcClient<typeof AgentServiceService>, tokens: ServiceTokenSource): AgentInvoker {
  return {
    async invoke(invocation) {
      try {
        const token = await tokens.tokenFor(invocation.tenantId);
        const response = await agents.invokeAgent(
          { agentId: invocation.agentId, inputJson: JSON.stringify(invocation.input), executionKey: invocation.executionKey },
          { metadata: bearerMetadata(token), deadline: new Date(Date.now() + invocation.timeoutMs) },
        );
        if (response.error !== '') return { ok: false, error: response.error, retryable: true };
        return { ok: true, output: (response.outputJson === '' ? null : JSON.parse(response.outputJson)) as JsonValue, replayed: response.replayed };
      } catch (err) {
        if (isAppError(err)) {
          return { ok: false, error: err.kind === 'DEADLINE_EXCEEDED' ? `timed out after ${invocation.timeoutMs} ms` : `${err.code}: ${err.message}`, retryable: !PERMANENT.has(err.kind) };
        }
        return { ok: false, error: err instanceof Error ? err.message : String(err), retryable: true };
      }
    },
  };
}
