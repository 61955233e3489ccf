import { AppError, isAppError } from '@bulkhead/errors';
import {
  closeGrpcClient,
  createGrpcClient,
  fromGrpcError,
  type AnyServiceDefinition,
  type GrpcClient,
  type GrpcClientConstructor,
  type GrpcClientOptions,
} from '@bulkhead/grpc-kit';

/** A dependency that did not answer, as a 503 naming it (`details.dependency`). */
export function dependencyUnavailable(dependency: string, cause: unknown): AppError {
  return new AppError({
    kind: 'UNAVAILABLE',
    code: 'UPSTREAM_UNAVAILABLE',
    message: `A service this request needs (${dependency}) is unavailable; try again shortly.`,
    details: { dependency },
    cause,
  });
}

// `fromGrpcError` gives a failure without the server's error trailer (no connection, the
// client's own deadline) its bare status as code: those calls never reached a handler.
function isTransportFailure(error: AppError): boolean {
  return (error.kind === 'UNAVAILABLE' || error.kind === 'DEADLINE_EXCEEDED') && error.code === error.kind;
}

/** Failures of a call to `dependency`: the server's own errors unchanged, transport failures named. */
export function upstreamError(dependency: string, err: unknown): AppError {
  const error = isAppError(err) ? err : fromGrpcError(err);
  return isTransportFailure(error) ? dependencyUnavailable(dependency, error) : error;
}

/** A backend's client and how to close its channel. */
export interface UpstreamClient<Def extends AnyServiceDefinition> {
  readonly client: GrpcClient<Def>;
  close(): void;
}

/**
 * `createGrpcClient` for a backend the gateway forwards to: every unary method fails with
 * {@link upstreamError}, so an unreachable or silent backend answers 503 naming it instead of a
 * bare UNAVAILABLE, and the client's deadline keeps a request from hanging.
 */
export function createUpstreamClient<Def extends AnyServiceDefinition>(
  dependency: string,
  constructor: GrpcClientConstructor<Def>,
  address: string,
  options: GrpcClientOptions,
): UpstreamClient<Def> {
  const raw = createGrpcClient(constructor, address, options);
  const methods: Readonly<Record<string, unknown>> = raw;
  const named = Object.fromEntries(
    Object.entries(methods).map(([key, method]) => {
      const unary = typeof method === 'function' && constructor.service[key]?.responseStream === false;
      if (!unary) return [key, method];
      const call = method as (...args: unknown[]) => Promise<unknown>;
      return [
        key,
        async (...args: unknown[]) => {
          try {
            return await call(...args);
          } catch (err) {
            throw upstreamError(dependency, err);
          }
        },
      ];
    }),
  );
  return { client: Object.freeze(named) as GrpcClient<Def>, close: () => closeGrpcClient(raw) };
}

/** An optional upstream's client, or 503 naming it when its address is not configured. */
export function configuredUpstream<T>(dependency: string, client: T | undefined, variable: string): T {
  if (client === undefined) throw dependencyUnavailable(dependency, new Error(`${variable} is not set`));
  return client;
}
