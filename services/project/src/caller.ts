import type { AuditOrigin } from '@bulkhead/audit';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import type { Principal } from '@bulkhead/tokens';

/** Who is calling, and how to call the auth and org services on their behalf. */
export interface Caller {
  readonly principal: Principal;
  /** Forwards the caller's own token, request id, deadline and cancellation (zero trust downstream). */
  readonly upstream: ClientCallOptions;
  /** The call's request id, trace id, client address and user agent, for its audit events. */
  readonly origin: AuditOrigin;
}

/** The caller's user id when the caller is a user; API keys and services hold no project roles. */
export function userIdOf(caller: Caller): string | undefined {
  return caller.principal.type === 'user' ? caller.principal.subject : undefined;
}
