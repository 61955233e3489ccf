import { forwardingCallerOf, type ForwardingCaller } from '@bulkhead/audit';
import type { CallContext } from '@bulkhead/grpc-kit';
import type { AuthContext } from '@bulkhead/tokens';

/** Who is calling, and how to call other services on their behalf. */
export type Caller = ForwardingCaller;

export type AgentCallContext = CallContext & AuthContext;

/** The verified caller, with call options that forward their token. */
export const callerOf = (ctx: AgentCallContext): Caller => forwardingCallerOf(ctx, 'agent');
