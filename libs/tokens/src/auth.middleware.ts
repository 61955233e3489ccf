import { Metadata } from '@grpc/grpc-js';
import type { ServerMiddleware } from '@bulkhead/grpc-kit';
import { principalLogFields, type Principal } from './principal';
import { tokenError } from './token-errors';
import type { TokenVerifier } from './token-verifier';

/** The metadata key carrying `Bearer <token>`. */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/;

/** What {@link createAuthMiddleware} adds to the call context: absent on public methods. */
export interface AuthContext {
  readonly principal?: Principal;
}

/** Options of {@link createAuthMiddleware}. */
export interface AuthMiddlewareOptions {
  verifier: TokenVerifier;
  /** Full method paths callable without a token (`/bulkhead.auth.v1.AuthService/Login`). */
  publicMethods: ReadonlySet<string>;
}

/**
 * gRPC server middleware requiring a valid `authorization: Bearer <token>` on every method
 * but `publicMethods` (the kit already exempts health); puts the verified {@link Principal}
 * in `ctx.principal`, and names it on the call's log lines. Missing or invalid tokens fail
 * with `UNAUTHENTICATED`.
 */
export function createAuthMiddleware(options: AuthMiddlewareOptions): ServerMiddleware<AuthContext> {
  return async function* authenticate(call, ctx) {
    if (options.publicMethods.has(call.method.path)) return yield* call.next(call.request, ctx);
    const [value] = ctx.metadata.get(AUTHORIZATION_METADATA_KEY);
    if (value === undefined) throw tokenError('TOKEN_MISSING');
    const match = typeof value === 'string' ? BEARER.exec(value) : null;
    const token = match?.[1];
    if (token === undefined) throw tokenError('TOKEN_INVALID');
    const principal = await options.verifier.verify(token);
    ctx.logger.setBindings(principalLogFields(principal));
    return yield* call.next(call.request, { ...ctx, principal });
  };
}

/** Request metadata forwarding `token` (a service calling another on its caller's behalf). */
export function bearerMetadata(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
  return metadata;
}
