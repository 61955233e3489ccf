import { Metadata } from '@grpc/grpc-js';
import { WORKLOAD_KEY_METADATA_KEY, type AgentServiceService, type WorkloadTokenServiceService } from '@bulkhead/contracts';
import { AppError, isAppError, type ErrorKind } from '@bulkhead/errors';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import type { JsonValue } from '@bulkhead/templates';
import { bearerMetadata } from '@bulkhead/tokens';
import type { AgentDirectory, AgentInvoker, AgentOutcome } from './agents';

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

/** Workers' invocations: one call per batch, a service token for the tenant, the steps' timeout as the deadline. */
export function createAgentInvoker(agents: GrpcClient<typeof AgentServiceService>, tokens: ServiceTokenSource): AgentInvoker {
  return {
    async invoke(batch) {
      const every = (outcome: AgentOutcome): AgentOutcome[] => batch.items.map(() => outcome);
      try {
        const token = await tokens.tokenFor(batch.tenantId);
        const { results } = await agents.invokeAgentBatch(
          { agentId: batch.agentId, items: batch.items.map((item) => ({ inputJson: JSON.stringify(item.input), executionKey: item.executionKey })) },
          { metadata: bearerMetadata(token), deadline: new Date(Date.now() + batch.timeoutMs) },
        );
        return batch.items.map((_, index): AgentOutcome => {
          const result = results[index];
          if (result === undefined) return { ok: false, error: 'the agent service answered too few results', retryable: true };
          if (result.error !== '') return { ok: false, error: result.error, retryable: true };
          return { ok: true, output: (result.outputJson === '' ? null : JSON.parse(result.outputJson)) as JsonValue, replayed: result.replayed };
        });
      } catch (err) {
        if (isAppError(err)) {
          return every({ ok: false, error: err.kind === 'DEADLINE_EXCEEDED' ? `timed out after ${batch.timeoutMs} ms` : `${err.code}: ${err.message}`, retryable: !PERMANENT.has(err.kind) });
        }
        return every({ ok: false, error: err instanceof Error ? err.message : String(err), retryable: true });
      }
    },
  };
}
