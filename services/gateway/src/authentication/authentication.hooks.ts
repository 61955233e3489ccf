import { AppError, internalError } from '@bulkhead/errors';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import { principalLogFields } from '@bulkhead/tokens';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BEARER_SECURITY_SCHEME } from '../http/http-app';
import { setRequestCaller } from '../http/request-log';
import type { Idempotency } from '../idempotency/idempotency';
import { upstreamCallOptions } from '../upstream/upstream-call';
import type { AuthenticatedCaller, RequestAuthenticator } from './request-authenticator';

/**
 * Schema members every authenticated route shares: the bearer requirement and the optional
 * `X-Tenant-ID` header (validated as a UUID like any other input, so a malformed one is a 400
 * naming `headers.x-tenant-id`). The header object stays loose: fastify replaces the request's
 * headers with the parsed value, and `authorization` or `user-agent` must survive that.
 */
export const authenticatedRouteSchema = {
  security: [{ [BEARER_SECURITY_SCHEME]: [] }],
  headers: z.looseObject({
    'x-tenant-id': z
      .uuid()
      .optional()
      .describe("Optional. Must equal the organization of the access token (403 TENANT_MISMATCH otherwise); it never selects an organization."),
  }),
};

/**
 * Refuses a request whose `X-Tenant-ID` (REST header, gRPC metadata) names another organization
 * than its caller's token: 403 / PERMISSION_DENIED `TENANT_MISMATCH`. Absent, it passes.
 */
export function assertTenantMatches(caller: AuthenticatedCaller, tenantHeader: unknown): void {
  if (typeof tenantHeader === 'string' && tenantHeader.toLowerCase() !== caller.principal.tenantId.toLowerCase()) {
    throw new AppError({
      kind: 'PERMISSION_DENIED',
      code: 'TENANT_MISMATCH',
      message: 'X-Tenant-ID does not match the organization of the access token.',
    });
  }
}

/**
 * A check every authenticated request passes right after its credential is verified, before
 * the body is read (the tenant's rate limit, the subdomain's organization). It throws to refuse.
 */
export type CallerGuard = (caller: AuthenticatedCaller, request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Route hooks that authenticate the caller, and how handlers read the result. */
export interface Authentication {
  /** Spread into a route's options, next to {@link authenticatedRouteSchema}. */
  readonly hooks: {
    /**
     * Runs first (before the body is read): 401 for a missing or refused credential, then the
     * request's log lines name the caller, then the guards.
     */
    onRequest(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /**
     * Runs after validation: 403 when `X-Tenant-ID` names another organization than the token's,
     * then a POST's `Idempotency-Key` (which may answer with the stored response).
     */
    preHandler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
    /** Keeps the response of an idempotent POST. */
    onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown>;
  };
  /** The caller of a request that went through {@link Authentication.hooks}. */
  callerOf(request: FastifyRequest): AuthenticatedCaller;
  /** The caller, once the request's credential was accepted; undefined before or without one. */
  authenticatedCallerOf(request: FastifyRequest): AuthenticatedCaller | undefined;
  /** Options of a gRPC call made on the caller's behalf: its access token is forwarded. */
  callOptionsOf(request: FastifyRequest): ClientCallOptions;
}

/**
 * {@link Authentication} backed by `authenticator`; `guards` run in order after it, and
 * `idempotency` (when given) covers every authenticated POST.
 */
export function createAuthentication(
  authenticator: RequestAuthenticator,
  guards: readonly CallerGuard[] = [],
  idempotency?: Idempotency,
): Authentication {
  const callers = new WeakMap<FastifyRequest, AuthenticatedCaller>();
  const callerOf = (request: FastifyRequest): AuthenticatedCaller => {
    const caller = callers.get(request);
    if (caller === undefined) throw internalError(new Error(`${request.method} ${request.url} has no authentication hook`));
    return caller;
  };
  return {
    hooks: {
      async onRequest(request, reply) {
        const caller = await authenticator.authenticate(request.headers.authorization, upstreamCallOptions(request));
        callers.set(request, caller);
        setRequestCaller(request, principalLogFields(caller.principal));
        for (const guard of guards) await guard(caller, request, reply);
      },
      async preHandler(request, reply) {
        const caller = callerOf(request);
        assertTenantMatches(caller, request.headers['x-tenant-id']);
        // Fastify: an async hook that answered returns the reply, so the handler does not run.
        if (idempotency !== undefined && (await idempotency.begin(caller, request, reply))) return reply;
        return undefined;
      },
      async onSend(request, reply, payload) {
        await idempotency?.finish(request, reply, payload);
        return payload;
      },
    },
    callerOf,
    authenticatedCallerOf: (request) => callers.get(request),
    callOptionsOf: (request) => upstreamCallOptions(request, callerOf(request).accessToken),
  };
}
