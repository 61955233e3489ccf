import type { AppError } from '@bulkhead/errors';
import { createGrpcServer, type AnyServiceDefinition, type CallContext, type ServiceImplementation } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import { createAuthMiddleware, type AuthContext, type Principal } from '@bulkhead/tokens';
import type { Metadata } from '@grpc/grpc-js';
import type { TestTokens } from './test-tokens';

/** What a fake service's spec reads back about the calls it received, and how it makes one fail. */
export interface RecordedCalls<Method extends string> {
  /** Calls `method` received (including refused ones). */
  callCount(method: Method): number;
  /** Request metadata of the last `method` call. */
  lastMetadata(method: Method): Metadata | undefined;
  /** The last `method` request message. */
  lastRequest(method: Method): unknown;
  /** The verified caller of the last `method` call, when it sent a token. */
  lastPrincipal(method: Method): Principal | undefined;
  /** The next `method` call fails with `error`. */
  failNext(method: Method, error: AppError): void;
}

/** {@link RecordedCalls} and the `record` a fake's handlers call first. */
export interface CallRecorder<Method extends string> extends RecordedCalls<Method> {
  /** Records the call, then throws the failure queued for `method`, if any. */
  record(method: Method, request: unknown, ctx: CallContext & AuthContext): void;
}

interface Recorded {
  count: number;
  metadata?: Metadata;
  request?: unknown;
  principal?: Principal;
}

/** A {@link CallRecorder} for the methods of one fake service. */
export function createCallRecorder<Method extends string>(): CallRecorder<Method> {
  const recorded = new Map<Method, Recorded>();
  const failures = new Map<Method, AppError>();
  return {
    record(method, request, ctx) {
      const entry = recorded.get(method) ?? { count: 0 };
      recorded.set(method, { count: entry.count + 1, metadata: ctx.metadata, request, principal: ctx.principal });
      const failure = failures.get(method);
      if (failure !== undefined) {
        failures.delete(method);
        throw failure;
      }
    },
    callCount: (method) => recorded.get(method)?.count ?? 0,
    lastMetadata: (method) => recorded.get(method)?.metadata,
    lastRequest: (method) => recorded.get(method)?.request,
    lastPrincipal: (method) => recorded.get(method)?.principal,
    failNext: (method, error) => {
      failures.set(method, error);
    },
  };
}

/** A fake service listening on `127.0.0.1:0`. */
export interface ListeningFake {
  /** `host:port` it listens on. */
  readonly address: string;
  stop(): Promise<void>;
}

/**
 * Serves `implementation` of `definition` on `127.0.0.1:0` behind the real grpc-kit auth
 * middleware (trusting `tokens`), so the gateway's forwarding is tested end to end over gRPC.
 */
export async function listenFake<Def extends AnyServiceDefinition>(
  logger: Logger,
  tokens: TestTokens,
  definition: Def,
  implementation: ServiceImplementation<Def, CallContext & AuthContext>,
  publicMethods: readonly (keyof Def)[] = [],
): Promise<ListeningFake> {
  const server = createGrpcServer<AuthContext>({
    logger,
    middleware: createAuthMiddleware({
      verifier: tokens.verifier,
      publicMethods: new Set(publicMethods.map((method) => definition[method]?.path ?? '')),
    }),
  });
  server.addService(definition, implementation);
  const port = await server.listen('127.0.0.1:0');
  return { address: `127.0.0.1:${port}`, stop: () => server.shutdown({ timeoutMs: 1000 }) };
}
