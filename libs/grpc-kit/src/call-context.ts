import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from '@bulkhead/observability';

/** The method being called, as its definition describes it. */
export interface MethodInfo {
  /** Full path: `/bulkhead.project.v1.ProjectService/GetProject`. */
  readonly path: string;
  /** Fully-qualified service name: `bulkhead.project.v1.ProjectService`. */
  readonly service: string;
  /** RPC name as written in the proto: `GetProject`. */
  readonly name: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/**
 * What a handler knows about its call besides the request.
 *
 * Middleware extends it with typed fields: a server created with
 * `middleware: ServerMiddleware<{ caller: Caller }>` hands its handlers
 * `CallContext & { caller: Caller }` (auth and tenant middleware use this seam).
 */
export interface CallContext {
  readonly method: MethodInfo;
  /** Request metadata as received. Its values are never logged: they carry credentials. */
  readonly metadata: Metadata;
  /** The caller's address, e.g. `ipv4:127.0.0.1:51234`. */
  readonly peer: string;
  /** Aborts when the client cancels, the deadline passes or the server is forced down. */
  readonly signal: AbortSignal;
  /** When the call must be answered: the client's deadline, capped by the server's maximum. */
  readonly deadline: Date;
  /** The caller's `x-request-id`, or a fresh UUID; echoed in the response headers. */
  readonly requestId: string;
  /** The server's logger with `requestId` bound. */
  readonly logger: Logger;
  /** Sent as response headers, before the first message or the status. */
  readonly responseHeader: Metadata;
  /** Sent as trailers with the status. */
  readonly responseTrailer: Metadata;
}

/**
 * The context the kit builds from the raw call, before its built-in middleware has resolved
 * the request id and the effective deadline.
 */
export type IncomingCallContext = Omit<CallContext, 'requestId' | 'deadline'> & {
  /** The client's deadline, if it sent one. */
  readonly deadline: Date | undefined;
};

/** {@link IncomingCallContext} once the request id is known. */
export type IdentifiedCallContext = IncomingCallContext & { readonly requestId: string };
