import type { JsonValue } from '@bulkhead/templates';
import type { Caller } from '../caller';
import type { WorkflowStep } from '../definitions/step-definitions';

/** Checks, with the caller's token, that agents exist in the caller's organization. */
export interface AgentDirectory {
  /** Throws NOT_FOUND naming the first step whose agent the caller's organization does not have. */
  requireAgents(caller: Caller, steps: readonly WorkflowStep[]): Promise<void>;
}

/** Invocations of one agent that a worker asks of the agent service together, for a tenant. */
export interface AgentBatch {
  tenantId: string;
  agentId: string;
  /** The deadline of the call. */
  timeoutMs: number;
  items: readonly {
    input: JsonValue;
    /** Idempotency key: the agent service replays the recorded outcome of a key it has seen. */
    executionKey: string;
  }[];
}

/** How an invocation ended: output, or an error and whether trying again may help. */
export type AgentOutcome = { ok: true; output: JsonValue; replayed: boolean } | { ok: false; error: string; retryable: boolean };

/** Invokes agents for workers (with a service token for the tenant). */
export interface AgentInvoker {
  /** The outcome of each item, in order; a refused or failed call is every item's outcome. */
  invoke(batch: AgentBatch): Promise<AgentOutcome[]>;
}
