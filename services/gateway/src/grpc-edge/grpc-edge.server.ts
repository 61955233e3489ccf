import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY, ERROR_INFO_TRAILER_KEY } from '@bulkhead/contracts';
import { toAppError } from '@bulkhead/errors';
import {
  createGrpcCallMetrics,
  DEFAULT_MAX_STREAM_DEADLINE_MS,
  grpcStatusName,
  REQUEST_ID_METADATA_KEY,
  toGrpcStatusError,
  type ClientCallOptions,
  type GrpcCallMetrics,
  type GrpcStatusError,
} from '@bulkhead/grpc-kit';
import type { Logger, Registry } from '@bulkhead/observability';
import { bearerMetadata, principalLogFields, type TokenVerifier } from '@bulkhead/tokens';
import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { createApiKeyExchange } from '../authentication/api-key-exchange';
import { assertTenantMatches } from '../authentication/authentication.hooks';
import { createRequestAuthenticator, type RequestAuthenticator } from '../authentication/request-authenticator';
import { ACCEPTED_REQUEST_ID } from '../http/http-app';
import { rateLimitedError, type TenantRateLimiter } from '../rate-limit/tenant-rate-limit';
import type { AuthClient } from '../upstream/auth.upstream';
import { dependencyUnavailable } from '../upstream/upstream-client';
import { EDGE_SERVICES, type EdgeBackend, type EdgeService } from './edge-services';
import {
  createPassThroughClient,
  passThroughDefinition,
  type PassThroughClient,
  type PassThroughMethod,
  type PassThroughStreamingMethod,
} from './pass-through';

/** Options of {@link startGrpcEdge}. */
export interface GrpcEdgeOptions {
  /** `GRPC_PORT`; 0 picks a free one. */
  port: number;
  host?: string;
  /** Each backend's `host:port`; the services of a backend without one are not exposed (UNIMPLEMENTED). */
  backends: Readonly<Partial<Record<EdgeBackend, string>>>;
  /** Longest a forwarded call may take (the caller's own deadline wins when earlier). */
  deadlineMs: number;
  /** The services exposed; default {@link EDGE_SERVICES}. */
  services?: readonly EdgeService[];
}

/** What the edge verifies callers with: the REST routes' verifier, and auth for API keys. */
export interface GrpcEdgeDependencies {
  logger: Logger;
  verifier: TokenVerifier;
  auth: AuthClient;
  /** The REST routes' per-tenant rate limit (one bucket per tenant for both); default none. */
  rateLimit?: TenantRateLimiter;
  /** Where each call's duration goes (`bulkhead_grpc_server_call_duration_seconds`); default nowhere. */
  registry?: Registry;
}

export interface GrpcEdge {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting calls, lets in-flight ones finish within `graceMs`, then cuts them. */
  stop(graceMs: number): Promise<void>;
}

/** Metadata naming the organization the caller means; must be its token's (`X-Tenant-ID` on REST). */
const TENANT_ID_METADATA_KEY = 'x-tenant-id';

const firstString = (metadata: Metadata, key: string): string | undefined => {
  const [value] = metadata.get(key);
  return typeof value === 'string' ? value : undefined;
};

/** `ipv4:10.0.0.7:51234` / `ipv6:[::1]:51234` → the address alone. */
function clientIpOf(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\]/.exec(address);
  return bracketed?.[1] ?? address.replace(/:\d+$/, '');
}

function earlierDeadline(callerDeadline: Date | number, capMs: number): Date {
  const cap = Date.now() + capMs;
  const caller = callerDeadline instanceof Date ? callerDeadline.getTime() : callerDeadline;
  return new Date(Number.isFinite(caller) ? Math.min(caller, cap) : cap);
}

// A status the backend's own handlers did not write (no error-info trailer): its channel could
// not reach it or it did not answer in time. Named like the REST routes' 503s.
function isTransportFailure(status: StatusObject): boolean {
  const transport = status.code === GrpcStatus.UNAVAILABLE || status.code === GrpcStatus.DEADLINE_EXCEEDED;
  return transport && status.metadata.get(ERROR_INFO_TRAILER_KEY).length === 0;
}

/**
 * The gateway's gRPC edge: one address for internal callers, forwarding every unary and
 * server-streaming call of {@link EDGE_SERVICES} (auth, org, project, workflow, agent, audit) to
 * its backend as opaque bytes (no decoding, so a new field needs no gateway release). The bearer
 * token is verified here first, exactly as on the REST routes (an API key is exchanged for a
 * token; service tokens are refused): a missing or refused credential answers UNAUTHENTICATED
 * without calling the backend, and an `x-tenant-id` naming another organization than the token's
 * PERMISSION_DENIED `TENANT_MISMATCH`. Each call is logged with its caller and measured in
 * `deps.registry` like any gRPC server's. Forwarded are the verified token, the
 * request id (a fresh one when the caller sent none), the caller's address and user agent, and
 * the deadline (the caller's, capped at `deadlineMs`); nothing else the caller sent. The
 * backend's status, message, headers and trailers (its error-info trailer among them) come back
 * unchanged, except that a backend that cannot be reached is UNAVAILABLE `UPSTREAM_UNAVAILABLE`
 * naming it. Cancelling the call cancels the backend's. An authenticated call then draws from
 * its tenant's rate limit bucket, the REST routes' own: the `ratelimit-*` values go out as
 * response metadata, and an empty bucket answers RESOURCE_EXHAUSTED `RATE_LIMITED` (with
 * `retryAfterSeconds` in the error info) without calling the backend.
 */
export async function startGrpcEdge(options: GrpcEdgeOptions, deps: GrpcEdgeDependencies): Promise<GrpcEdge> {
  const apiKeys = createApiKeyExchange({ exchange: (secret, callOptions) => deps.auth.exchangeApiKey({ secret }, callOptions) });
  const authenticator = createRequestAuthenticator({ verifier: deps.verifier, apiKeys });
  const server = new Server();
  const clients: PassThroughClient[] = [];

  const metrics = deps.registry === undefined ? undefined : createGrpcCallMetrics(deps.registry);
  for (const service of options.services ?? EDGE_SERVICES) {
    const address = options.backends[service.backend];
    if (address === undefined) continue;
    const definition = passThroughDefinition(service.definition);
    const client = createPassThroughClient(definition, address);
    clients.push(client);
    const handlers: UntypedServiceImplementation = Object.fromEntries(
      Object.entries(definition).map(([name, method]) => {
        const forwarding: ForwarderOptions = {
          path: method.path,
          method: { service: method.path.split('/')[1] ?? '', name: method.path.split('/')[2] ?? name },
          backend: service.backend,
          isPublic: service.publicMethods.has(name),
          authenticator,
          rateLimit: deps.rateLimit,
          metrics,
          deadlineMs: options.deadlineMs,
          logger: deps.logger,
        };
        return [name, method.responseStream ? streamForwarder(forwarding, client.streamingMethod(name)) : forwarder(forwarding, client.method(name))];
      }),
    );
    server.addService(definition, handlers);
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host ?? '0.0.0.0'}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  deps.logger.info({ grpcPort: port }, 'gateway gRPC edge listening');

  return {
    port,
    stop: async (graceMs) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      for (const client of clients) client.close();
    },
  };
}

interface ForwarderOptions {
  path: string;
  /** The method as the histogram names it. */
  method: { service: string; name: string };
  backend: EdgeBackend;
  isPublic: boolean;
  authenticator: RequestAuthenticator;
  rateLimit: TenantRateLimiter | undefined;
  metrics: GrpcCallMetrics | undefined;
  deadlineMs: number;
  logger: Logger;
}

/** One call at the edge once it is admitted: what goes upstream, and how its end is told. */
interface AdmittedCall {
  readonly metadata: Metadata;
  /** The `ratelimit-*` values, sent with the first response headers. */
  readonly limits: Metadata;
  /** Logs and measures the call's end with `code`. */
  finish(code: number): void;
  /** The status of a call refused before or after the backend (its `finish` already done). */
  refusal(err: unknown): GrpcStatusError;
}

/**
 * What both kinds of forwarding share: the request id, the metadata sent upstream, then (unless
 * the method is public) the caller's credential, `x-tenant-id` against its organization (as on
 * REST), and its tenant's rate limit. The call's log lines carry the caller once it is known.
 */
async function admit(call: ServerUnaryCall<Buffer, Buffer> | ServerWritableStream<Buffer, Buffer>, options: ForwarderOptions): Promise<AdmittedCall | { refused: GrpcStatusError }> {
  const started = performance.now();
  const given = firstString(call.metadata, REQUEST_ID_METADATA_KEY);
  const requestId = given !== undefined && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
  const logger = options.logger.child({ requestId });
  const finish = (code: number): void => {
    const durationMs = performance.now() - started;
    const status = grpcStatusName(code);
    options.metrics?.observe(options.method, status, durationMs / 1000);
    logger.info({ transport: 'grpc', method: options.path, status, durationMs: Math.round(durationMs) }, 'request');
  };
  const refusal = (err: unknown): GrpcStatusError => {
    const status = toGrpcStatusError(toAppError(err));
    finish(status.code);
    return status;
  };

  const metadata = new Metadata();
  metadata.set(REQUEST_ID_METADATA_KEY, requestId);
  metadata.set(CLIENT_IP_METADATA_KEY, clientIpOf(call.getPeer()));
  const userAgent = firstString(call.metadata, 'user-agent');
  if (userAgent !== undefined) metadata.set(CLIENT_USER_AGENT_METADATA_KEY, userAgent);
  const limits = new Metadata();
  if (options.isPublic) return { metadata, limits, finish, refusal };
  try {
    const caller = await options.authenticator.authenticate(firstString(call.metadata, 'authorization'), {
      requestId,
      metadata: metadata.clone(),
    } satisfies ClientCallOptions);
    logger.setBindings(principalLogFields(caller.principal));
    assertTenantMatches(caller, firstString(call.metadata, TENANT_ID_METADATA_KEY));
    metadata.merge(bearerMetadata(caller.accessToken));
    if (options.rateLimit !== undefined) {
      const decision = await options.rateLimit.take(caller, { requestId, metadata: metadata.clone() });
      for (const [key, value] of Object.entries(decision.headers)) limits.set(key, value);
      if (!decision.allowed) {
        call.sendMetadata(limits);
        throw rateLimitedError(decision);
      }
    }
  } catch (err) {
    return { refused: refusal(err) };
  }
  return { metadata, limits, finish, refusal };
}

/** Sends the backend's response headers with the `ratelimit-*` values; the values alone when the backend sent none. */
function headerRelay(call: ServerUnaryCall<Buffer, Buffer> | ServerWritableStream<Buffer, Buffer>, limits: Metadata) {
  let sent = false;
  return {
    send(headers: Metadata): void {
      sent = true;
      headers.merge(limits);
      call.sendMetadata(headers);
    },
    sendLimitsIfNone(): void {
      if (!sent && Object.keys(limits.getMap()).length > 0) this.send(new Metadata());
    },
  };
}

/** The status the caller gets for the backend's final `status` (its own, or UNAVAILABLE when it could not be reached). */
function relayedStatus(admitted: AdmittedCall, backend: EdgeBackend, status: StatusObject): Partial<StatusObject> {
  if (isTransportFailure(status)) return admitted.refusal(dependencyUnavailable(backend, new Error(status.details)));
  admitted.finish(status.code);
  return { code: status.code, details: status.details, metadata: status.metadata };
}

function forwarder(options: ForwarderOptions, upstream: PassThroughMethod) {
  return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    void admit(call, options).then((admitted) => {
      if ('refused' in admitted) return callback(admitted.refused);
      const headers = headerRelay(call, admitted.limits);
      let response: Buffer | undefined;
      const forwarded = upstream(call.request, admitted.metadata, { deadline: earlierDeadline(call.getDeadline(), options.deadlineMs) }, (_err, value) => {
        response = value;
      });
      forwarded.on('metadata', (metadata: Metadata) => headers.send(metadata));
      forwarded.on('status', (status: StatusObject) => {
        headers.sendLimitsIfNone();
        if (status.code === GrpcStatus.OK && response !== undefined) {
          admitted.finish(status.code);
          callback(null, response, status.metadata);
        } else {
          callback(relayedStatus(admitted, options.backend, status));
        }
      });
      call.on('cancelled', () => forwarded.cancel());
    });
  };
}

/**
 * A server-streaming method (an audit export): each message relayed as it arrives, the backend
 * paused while the caller does not read (backpressure), the backend's final status and trailers
 * relayed at the end. The deadline is the caller's, capped at a stream's maximum.
 */
function streamForwarder(options: ForwarderOptions, upstream: PassThroughStreamingMethod) {
  return (call: ServerWritableStream<Buffer, Buffer>): void => {
    void admit(call, options).then((admitted) => {
      if ('refused' in admitted) {
        call.emit('error', admitted.refused);
        return;
      }
      const headers = headerRelay(call, admitted.limits);
      const forwarded = upstream(call.request, admitted.metadata, { deadline: earlierDeadline(call.getDeadline(), DEFAULT_MAX_STREAM_DEADLINE_MS) });
      forwarded.on('metadata', (metadata: Metadata) => headers.send(metadata));
      forwarded.on('data', (message: Buffer) => {
        if (call.write(message)) return;
        forwarded.pause();
        call.once('drain', () => forwarded.resume());
      });
      // The end of the call is told by 'status'; 'error' repeats a failed one.
      forwarded.on('error', () => undefined);
      forwarded.on('status', (status: StatusObject) => {
        headers.sendLimitsIfNone();
        if (status.code === GrpcStatus.OK) {
          admitted.finish(status.code);
          call.end(status.metadata);
        } else {
          call.emit('error', relayedStatus(admitted, options.backend, status));
        }
      });
      call.on('cancelled', () => forwarded.cancel());
    });
  };
}
