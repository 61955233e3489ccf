import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY, ERROR_INFO_TRAILER_KEY } from '@bulkhead/contracts';
import { toAppError } from '@bulkhead/errors';
import { grpcStatusName, REQUEST_ID_METADATA_KEY, toGrpcStatusError, type ClientCallOptions } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import { bearerMetadata, type TokenVerifier } from '@bulkhead/tokens';
import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type StatusObject,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { createApiKeyExchange } from '../authentication/api-key-exchange';
import { createRequestAuthenticator, type RequestAuthenticator } from '../authentication/request-authenticator';
import { ACCEPTED_REQUEST_ID } from '../http/http-app';
import { rateLimitedError, type TenantRateLimiter } from '../rate-limit/tenant-rate-limit';
import type { AuthClient } from '../upstream/auth.upstream';
import { dependencyUnavailable } from '../upstream/upstream-client';
import { EDGE_SERVICES, type EdgeBackend, type EdgeService } from './edge-services';
import { createPassThroughClient, passThroughDefinition, type PassThroughClient, type PassThroughMethod } from './pass-through';

/** Options of {@link startGrpcEdge}. */
export interface GrpcEdgeOptions {
  /** `GRPC_PORT`; 0 picks a free one. */
  port: number;
  host?: string;
  /** Each backend's `host:port`. */
  backends: Readonly<Record<EdgeBackend, string>>;
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
}

export interface GrpcEdge {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting calls, lets in-flight ones finish within `graceMs`, then cuts them. */
  stop(graceMs: number): Promise<void>;
}

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
 * The gateway's gRPC edge: one address for internal callers, forwarding every unary call of
 * {@link EDGE_SERVICES} to its backend as opaque bytes (no decoding, so a new field needs no
 * gateway release). The bearer token is verified here first, exactly as on the REST routes (an
 * API key is exchanged for a token; service tokens are refused): a missing or refused credential
 * answers UNAUTHENTICATED without calling the backend. Forwarded are the verified token, the
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

  for (const service of options.services ?? EDGE_SERVICES) {
    const definition = passThroughDefinition(service.definition);
    const client = createPassThroughClient(definition, options.backends[service.backend]);
    clients.push(client);
    const handlers: UntypedServiceImplementation = Object.fromEntries(
      Object.entries(definition).map(([name, method]) => [
        name,
        forwarder({
          path: method.path,
          backend: service.backend,
          isPublic: service.publicMethods.has(name),
          upstream: client.method(name),
          authenticator,
          rateLimit: deps.rateLimit,
          deadlineMs: options.deadlineMs,
          logger: deps.logger,
        }),
      ]),
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
  backend: EdgeBackend;
  isPublic: boolean;
  upstream: PassThroughMethod;
  authenticator: RequestAuthenticator;
  rateLimit: TenantRateLimiter | undefined;
  deadlineMs: number;
  logger: Logger;
}

function forwarder(options: ForwarderOptions) {
  return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const started = performance.now();
    const given = firstString(call.metadata, REQUEST_ID_METADATA_KEY);
    const requestId = given !== undefined && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
    const finish = (code: number): void =>
      options.logger.info(
        { requestId, transport: 'grpc', method: options.path, status: grpcStatusName(code), durationMs: Math.round(performance.now() - started) },
        'request',
      );
    const refuse = (err: unknown): void => {
      const status = toGrpcStatusError(toAppError(err));
      finish(status.code);
      callback(status);
    };

    const metadata = new Metadata();
    metadata.set(REQUEST_ID_METADATA_KEY, requestId);
    metadata.set(CLIENT_IP_METADATA_KEY, clientIpOf(call.getPeer()));
    const userAgent = firstString(call.metadata, 'user-agent');
    if (userAgent !== undefined) metadata.set(CLIENT_USER_AGENT_METADATA_KEY, userAgent);

    const admitted = async (): Promise<Metadata> => {
      const limits = new Metadata();
      if (options.isPublic) return limits;
      const caller = await options.authenticator.authenticate(firstString(call.metadata, 'authorization'), {
        requestId,
        metadata: metadata.clone(),
      } satisfies ClientCallOptions);
      metadata.merge(bearerMetadata(caller.accessToken));
      if (options.rateLimit === undefined) return limits;
      const decision = await options.rateLimit.take(caller, { requestId, metadata: metadata.clone() });
      for (const [key, value] of Object.entries(decision.headers)) limits.set(key, value);
      if (!decision.allowed) {
        call.sendMetadata(limits);
        throw rateLimitedError(decision);
      }
      return limits;
    };

    admitted().then(
      (limits) => {
        let headersSent = false;
        const sendHeaders = (headers: Metadata): void => {
          headersSent = true;
          headers.merge(limits);
          call.sendMetadata(headers);
        };
        let response: Buffer | undefined;
        const upstream = options.upstream(call.request, metadata, { deadline: earlierDeadline(call.getDeadline(), options.deadlineMs) }, (_err, value) => {
          response = value;
        });
        upstream.on('metadata', sendHeaders);
        upstream.on('status', (status: StatusObject) => {
          if (!headersSent && Object.keys(limits.getMap()).length > 0) sendHeaders(new Metadata());
          if (status.code === GrpcStatus.OK && response !== undefined) {
            finish(status.code);
            callback(null, response, status.metadata);
          } else if (isTransportFailure(status)) {
            refuse(dependencyUnavailable(options.backend, new Error(status.details)));
          } else {
            finish(status.code);
            callback({ code: status.code, details: status.details, metadata: status.metadata });
          }
        });
        call.on('cancelled', () => upstream.cancel());
      },
      refuse,
    );
  };
}
