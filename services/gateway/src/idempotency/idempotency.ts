import { canonicalJson } from '@bulkhead/audit';
import { AppError } from '@bulkhead/errors';
import type { Logger } from '@bulkhead/observability';
import { tenantKey } from '@bulkhead/tenant-cache';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuthenticatedCaller } from '../authentication/request-authenticator';
import type { IdempotencyStore, StoredResponse } from './idempotency-store';
import { problemResponses } from '../http/problem-responses';
import { requestLogFields } from '../http/request-log';

/** The request header naming an idempotent POST. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** The response header of a replayed response. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** 1 to 255 visible ASCII characters. */
export const ACCEPTED_IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** The response headers kept with a stored response (the body's type, a created resource, its caching). */
const STORED_HEADERS = ['content-type', 'location', 'cache-control'] as const;

/** `Idempotency-Key` on authenticated POSTs, run by the authentication hooks. */
export interface Idempotency {
  /**
   * After validation: claims the key for a new request, or answers for it (the replayed
   * response, 409 while the first still runs, 422 for another request under the same key).
   * Resolves true when it answered.
   */
  begin(caller: AuthenticatedCaller, request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** Before the response leaves: keeps a claimed request's response (not a 5xx, which frees the key). */
  finish(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void>;
}

/**
 * An `onRoute` hook adding the optional `Idempotency-Key` header to the schema of every
 * authenticated POST (one with a `security` requirement and a zod `headers` object): the header
 * is validated like any other input (400 naming `headers.idempotency-key`) and documented in the
 * OpenAPI document, with the 409 and 422 it may answer.
 */
export function withIdempotencyKeyHeader(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const schema = route.schema;
  if (!methods.includes('POST') || schema?.security === undefined || !(schema.headers instanceof z.ZodObject)) return;
  route.schema = {
    ...schema,
    headers: schema.headers.extend({
      [IDEMPOTENCY_KEY_HEADER]: z
        .string()
        .regex(ACCEPTED_IDEMPOTENCY_KEY, 'must be 1 to 255 visible ASCII characters')
        .optional()
        .describe(
          'Optional, 1 to 255 visible ASCII characters. A repeat with the same key and body within 24 h replays the first response ' +
            '(`Idempotent-Replayed: true`); 409 IDEMPOTENCY_IN_PROGRESS while the first still runs; 422 IDEMPOTENCY_KEY_REUSED for another body.',
        ),
    }),
    response: { ...problemResponses(409, 422), ...(schema.response as object | undefined) },
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What a repeat must match: SHA-256 of the method, the path (no query) and the canonical body. */
export function fingerprintOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '/';
  // Canonical, so `{a, b}` and `{b, a}` are one body.
  const body = request.body === undefined ? '' : canonicalJson(request.body);
  return sha256(`${request.method}\n${path}\n${body}`);
}

/** The Redis key of a caller's idempotency key: per tenant and per caller, the key itself hashed. */
export function idempotencyKeyOf(caller: AuthenticatedCaller, key: string): string {
  return tenantKey(caller.principal.tenantId, 'idem', sha256(`${caller.principal.subject}\n${key}`));
}

// Validated by the route's schema (withIdempotencyKeyHeader).
function headerOf(request: FastifyRequest): string | undefined {
  const value = request.headers[IDEMPOTENCY_KEY_HEADER];
  return typeof value === 'string' ? value : undefined;
}

function storedResponseOf(reply: FastifyReply, payload: unknown): StoredResponse | undefined {
  if (payload !== undefined && payload !== null && typeof payload !== 'string') return undefined;
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { status: reply.statusCode, headers, body: payload ?? '' };
}

/**
 * {@link Idempotency} on `store`. A POST with `Idempotency-Key` claims
 * `bh:{<tenantId>}:idem:<sha256(subject, key)>` with its fingerprint, runs, and keeps its response
 * for 24 h; the same key and fingerprint replays it with `Idempotent-Replayed: true`, the same
 * key with another method, path or body is 422 `IDEMPOTENCY_KEY_REUSED`, and a repeat while
 * the first still runs is 409 `IDEMPOTENCY_IN_PROGRESS`. 5xx answers are not kept: the claim is
 * freed so a retry runs again. Redis not answering lets the request run without idempotency.
 */
export function createIdempotency(deps: { store: IdempotencyStore; logger: Logger }): Idempotency {
  const claims = new WeakMap<FastifyRequest, { key: string; fingerprint: string }>();
  return {
    async begin(caller, request, reply) {
      if (request.method !== 'POST') return false;
      const given = headerOf(request);
      if (given === undefined) return false;
      const key = idempotencyKeyOf(caller, given);
      const fingerprint = fingerprintOf(request);
      let existing;
      try {
        existing = await deps.store.claim(key, fingerprint);
      } catch (err) {
        deps.logger.warn({ err, ...requestLogFields(request) }, 'idempotency store unavailable; request runs without idempotency');
        return false;
      }
      if (existing === undefined) {
        claims.set(request, { key, fingerprint });
        return false;
      }
      if (existing.fingerprint !== fingerprint) {
        throw new AppError({
          kind: 'UNPROCESSABLE',
          code: 'IDEMPOTENCY_KEY_REUSED',
          message: 'This Idempotency-Key was used for another request (method, path or body); use a new key.',
          fieldViolations: [{ field: `headers.${IDEMPOTENCY_KEY_HEADER}`, description: 'was used for another request' }],
        });
      }
      if (existing.state === 'in-flight') {
        throw new AppError({
          kind: 'ABORTED',
          code: 'IDEMPOTENCY_IN_PROGRESS',
          message: 'A request with this Idempotency-Key is still in progress; retry once it has finished.',
        });
      }
      const { status, headers, body } = existing.response;
      void reply.status(status).headers({ ...headers, [IDEMPOTENT_REPLAYED_HEADER]: 'true' }).send(body === '' ? undefined : body);
      return true;
    },

    async finish(request, reply, payload) {
      const claim = claims.get(request);
      if (claim === undefined) return;
      claims.delete(request);
      const response = reply.statusCode >= 500 ? undefined : storedResponseOf(reply, payload);
      try {
        if (response === undefined) await deps.store.release(claim.key);
        else await deps.store.complete(claim.key, claim.fingerprint, response);
      } catch (err) {
        deps.logger.warn({ err, ...requestLogFields(request) }, 'idempotency store unavailable; response not kept (the claim expires by itself)');
      }
    },
  };
}
