import { once } from 'node:events';
import {
  Metadata,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerOptions,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { HealthService } from '@bulkhead/contracts';
import { AppError, internalError } from '@bulkhead/errors';
import type { Logger, Registry } from '@bulkhead/observability';
import type { CallContext, IncomingCallContext, MethodInfo } from './call-context';
import { createDeadlineMiddleware, deadlineExceeded } from './deadline.middleware';
import { errorMappingMiddleware } from './error-mapping.middleware';
import { GrpcStatusError, toGrpcStatusError } from './grpc-error.codec';
import { createHealthService, type HealthReporter } from './health.service';
import { createGrpcCallMetrics } from './call-metrics';
import { createLoggingMiddleware } from './logging.middleware';
import { bindLink, type NextHandler, type NoExtension, type ServerMiddleware } from './middleware';
import { requestIdMiddleware } from './request-id.middleware';
import { methodInfoOf, type AnyServiceDefinition, type ServiceImplementation } from './service-definition';

/** Default cap on a unary call, and its deadline when the client sent none. */
export const DEFAULT_MAX_DEADLINE_MS = 30_000;
/** Default cap on a server-streaming call (exports, health Watch). */
export const DEFAULT_MAX_STREAM_DEADLINE_MS = 600_000;
/** Default time {@link GrpcServer.shutdown} lets in-flight calls finish. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions<Ext extends object = NoExtension> {
  /** The service's logger; each call logs through a child carrying its `requestId`. */
  logger: Logger;
  /**
   * Where each call's duration goes, by service, method and status code
   * (`bulkhead_grpc_server_call_duration_seconds`); default nowhere.
   */
  registry?: Registry;
  /**
   * Application middleware (auth, tenant, audit context; several via `composeServerMiddleware`).
   * Runs after the kit's chain (request id → logging → error mapping → deadline), just before
   * the handler, on every service but health (public, probed without credentials).
   */
  middleware?: ServerMiddleware<Ext>;
  /** Cap on a unary call; default {@link DEFAULT_MAX_DEADLINE_MS}. */
  maxDeadlineMs?: number;
  /** Cap on a server-streaming call; default {@link DEFAULT_MAX_STREAM_DEADLINE_MS}. */
  maxStreamDeadlineMs?: number;
  /** Default insecure: in the cluster the mesh terminates TLS. */
  credentials?: ServerCredentials;
  /** Passed to `@grpc/grpc-js` (message size limits, keepalive). */
  grpcOptions?: ServerOptions;
}

/** Options of {@link GrpcServer.shutdown}. */
export interface ShutdownOptions {
  /** How long in-flight calls may run before they are cancelled; default {@link DEFAULT_SHUTDOWN_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** A gRPC server with async handlers, the kit's middleware chain and the standard health service. */
export interface GrpcServer<Ext extends object = NoExtension> {
  /** The statuses `grpc.health.v1.Health` reports (registered on every server). */
  readonly health: HealthReporter;
  /**
   * Registers a service; `listen` marks it SERVING. Handlers are `async (request, ctx) => response`
   * for unary methods and `async function* (request, ctx)` for server-streaming ones.
   */
  addService<Def extends AnyServiceDefinition>(definition: Def, implementation: ServiceImplementation<Def, CallContext & Ext>): void;
  /** Binds `host:port` (`127.0.0.1:0` picks a free port), marks every service SERVING, resolves with the port. */
  listen(address: string): Promise<number>;
  /**
   * Health goes NOT_SERVING and Watch streams end; then the server stops accepting calls, lets
   * in-flight ones finish, and after `timeoutMs` cancels whatever is left.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

type UnaryFn = (request: unknown, ctx: CallContext) => Promise<unknown>;
type StreamingFn = (request: unknown, ctx: CallContext) => AsyncIterable<unknown>;
type RawCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

function callUnary(impl: UnaryFn): NextHandler<CallContext> {
  // eslint-disable-next-line require-yield -- a unary chain yields nothing: its response is the generator's return value.
  return async function* unaryHandler(request, ctx) {
    const response = await impl(request, ctx);
    if (response === undefined || response === null) throw new Error(`${ctx.method.path}: handler returned no response`);
    return response;
  };
}

function callStreaming(impl: StreamingFn): NextHandler<CallContext> {
  return async function* streamingHandler(request, ctx) {
    yield* impl(request, ctx);
  };
}

/** How early before its deadline a call's cancellation still counts as the deadline expiring. */
const DEADLINE_TRANSIT_SLACK_MS = 100;

/** The per-call state shared by the unary and streaming adapters. */
function openCall(call: RawCall, method: MethodInfo, logger: Logger) {
  const rawDeadline = call.getDeadline();
  const deadline = rawDeadline instanceof Date ? rawDeadline : Number.isFinite(rawDeadline) ? new Date(rawDeadline) : undefined;

  // grpc-js reports "cancelled" both when the client goes away and when it enforced the
  // client's deadline itself: tell the two apart for the handler. A client whose own deadline
  // fires cancels the stream, and that can arrive a little before the server's copy of the
  // deadline (the request took longer to arrive than the cancellation): that is expiry too.
  const cancellation = new AbortController();
  const onCancelled = (): void => {
    const expired = deadline !== undefined && Date.now() >= deadline.getTime() - DEADLINE_TRANSIT_SLACK_MS;
    cancellation.abort(expired ? deadlineExceeded() : new AppError({ kind: 'CANCELLED', code: 'CANCELLED', message: 'Call cancelled' }));
  };
  call.on('cancelled', onCancelled);
  if (call.cancelled) onCancelled();
  const ctx: IncomingCallContext = {
    method,
    metadata: call.metadata,
    peer: call.getPeer(),
    signal: cancellation.signal,
    deadline,
    logger,
    responseHeader: new Metadata(),
    responseTrailer: new Metadata(),
  };
  let headerSent = false;
  return {
    ctx,
    sendHeader(): void {
      if (headerSent) return;
      headerSent = true;
      call.sendMetadata(ctx.responseHeader);
    },
    /** The status to send: the chain already mapped errors; this only adds the trailers. */
    statusOf(err: unknown): GrpcStatusError {
      const status = err instanceof GrpcStatusError ? err : toGrpcStatusError(internalError(err));
      status.metadata.merge(ctx.responseTrailer);
      return status;
    },
    close(): void {
      call.off('cancelled', onCancelled);
    },
  };
}

function serveUnary(method: MethodInfo, chain: NextHandler<IncomingCallContext>, logger: Logger) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const scope = openCall(call, method, logger);
    void (async () => {
      try {
        const steps = chain(call.request, scope.ctx);
        let step = await steps.next();
        while (!step.done) step = await steps.next(); // A unary chain yields nothing.
        scope.sendHeader();
        callback(null, step.value, scope.ctx.responseTrailer);
      } catch (err) {
        scope.sendHeader();
        callback(scope.statusOf(err));
      } finally {
        scope.close();
      }
    })();
  };
}

function serveStreaming(method: MethodInfo, chain: NextHandler<IncomingCallContext>, logger: Logger) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const scope = openCall(call, method, logger);
    void (async () => {
      const responses = chain(call.request, scope.ctx);
      try {
        for (let step = await responses.next(); !step.done; step = await responses.next()) {
          scope.sendHeader();
          if (!call.write(step.value)) await once(call, 'drain', { signal: scope.ctx.signal });
        }
        scope.sendHeader();
        call.end(scope.ctx.responseTrailer);
      } catch (err) {
        scope.sendHeader();
        call.emit('error', scope.statusOf(err));
      } finally {
        // Runs the chain's cleanup (and its log line) when the client went away mid-stream.
        await responses.return(undefined).catch(() => undefined);
        scope.close();
      }
    })();
  };
}

/**
 * A gRPC server over `@grpc/grpc-js` with async handlers and a typed call context. Every call
 * runs through request id → logging → error mapping → deadline → `options.middleware` → handler;
 * errors are mapped to gRPC statuses once, in the error-mapping middleware.
 */
export function createGrpcServer<Ext extends object = NoExtension>(options: GrpcServerOptions<Ext>): GrpcServer<Ext> {
  const { logger } = options;
  const server = new Server(options.grpcOptions);
  const health = createHealthService();
  const serviceNames = new Set<string>(['']);
  const loggingMiddleware = createLoggingMiddleware(options.registry === undefined ? undefined : createGrpcCallMetrics(options.registry));
  const deadlineMiddleware = createDeadlineMiddleware({
    maxDeadlineMs: options.maxDeadlineMs ?? DEFAULT_MAX_DEADLINE_MS,
    maxStreamDeadlineMs: options.maxStreamDeadlineMs ?? DEFAULT_MAX_STREAM_DEADLINE_MS,
  });

  function register(definition: AnyServiceDefinition, implementation: object, withAppMiddleware: boolean): void {
    const handlers: UntypedServiceImplementation = {};
    for (const [key, method] of Object.entries(definition)) {
      const info = methodInfoOf(method);
      if (info.requestStream) throw new TypeError(`${info.path}: client-streaming methods are not supported`);
      const impl: unknown = Reflect.get(implementation, key);
      if (typeof impl !== 'function') throw new TypeError(`${info.path}: the implementation has no "${key}" handler`);
      const handler = info.responseStream
        ? callStreaming((impl as StreamingFn).bind(implementation))
        : callUnary((impl as UnaryFn).bind(implementation));
      const app = withAppMiddleware && options.middleware ? bindLink(options.middleware, info, handler) : handler;
      const chain = bindLink(
        requestIdMiddleware,
        info,
        bindLink(loggingMiddleware, info, bindLink(errorMappingMiddleware, info, bindLink(deadlineMiddleware, info, app))),
      );
      handlers[key] = info.responseStream ? serveStreaming(info, chain, logger) : serveUnary(info, chain, logger);
      serviceNames.add(info.service);
    }
    // The kit's definitions are grpc-js definitions with their message types kept.
    server.addService(definition as unknown as ServiceDefinition, handlers);
  }

  register(HealthService, health.implementation, false);

  return {
    health,

    addService(definition, implementation) {
      register(definition, implementation, true);
    },

    listen(address) {
      return new Promise<number>((resolve, reject) => {
        server.bindAsync(address, options.credentials ?? ServerCredentials.createInsecure(), (err, port) => {
          if (err) {
            reject(err);
            return;
          }
          for (const name of serviceNames) health.setStatus(name, 'SERVING');
          logger.info({ address, port }, 'grpc server listening');
          resolve(port);
        });
      });
    },

    async shutdown(shutdownOptions = {}) {
      const timeoutMs = shutdownOptions.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
      health.drain();
      logger.info({ timeoutMs }, 'grpc server shutting down');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ timeoutMs }, 'grpc calls still running at the shutdown timeout: cancelling them');
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
