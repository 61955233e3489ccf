import type { RouteOptions } from 'fastify';
import { z } from 'zod';

/** The problem+json body of every error the gateway answers (`@bulkhead/errors` `toProblem`). */
export const problemSchema = z
  .looseObject({
    type: z.string().describe('`urn:bulkhead:problem:<code in kebab case>`'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('What went wrong, safe to show.'),
    code: z.string().describe('Stable, SCREAMING_SNAKE_CASE: clients branch on it.'),
    requestId: z.string().optional().describe('The `X-Request-Id` of the request.'),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('One entry per invalid field (`body.name`, `querystring.limit`).'),
  })
  .describe('RFC 9457 problem details; other members (`limit`, `plan`, `dependency`, …) may follow.')
  .meta({ id: 'Problem' });

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request: invalid JSON, a field that fails validation (named in `errors`), a string holding NUL or a lone surrogate, JSON nested too deep',
  401: 'No credential, or one refused (`TOKEN_MISSING`, `TOKEN_INVALID`, `TOKEN_EXPIRED`, `TOKEN_REVOKED`)',
  402: "The organization's plan limit is reached (`limit`, `plan`)",
  403: 'Authenticated but not allowed here (`PERMISSION_DENIED`, `TENANT_MISMATCH`)',
  404: "Absent, or another organization's",
  409: 'Conflicts with the current state',
  413: 'Request body over 256 KiB',
  415: 'Request body that is not application/json',
  422: 'Well-formed but not valid as a whole',
  429: 'Rate limited (`Retry-After`)',
  503: 'A backend is unavailable (`dependency`)',
};

/** An error response of an operation in the OpenAPI document: problem+json, described by its status. */
export const problemResponse = (status: keyof typeof DESCRIPTIONS, description = DESCRIPTIONS[status]) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** `response` entries for these error statuses; routes add the ones only they can give (402, 409, 422). */
export const problemResponses = (...statuses: (keyof typeof DESCRIPTIONS)[]) =>
  Object.fromEntries(statuses.map((status) => [status, problemResponse(status)]));

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * An `onRoute` hook declaring in each operation's schema the error statuses every route of its
 * shape can give: 400 with validated input, 401/403/429 when authenticated, 404 with path
 * parameters, 413/415 with a body, 503 on routes that call a backend (`/v1`, `/.well-known`).
 * A status the route declares itself is kept. Hidden routes are left alone.
 */
export function withProblemResponses(route: RouteOptions): void {
  const schema = route.schema;
  if (schema === undefined || schema.hide === true) return;
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
  const statuses: (keyof typeof DESCRIPTIONS)[] = [];
  if (schema.body !== undefined || schema.querystring !== undefined || schema.params !== undefined || schema.headers !== undefined) statuses.push(400);
  if (schema.security !== undefined) statuses.push(401, 403, 429);
  if (schema.params !== undefined) statuses.push(404);
  if (methods.some((method) => BODY_METHODS.has(method))) statuses.push(413, 415);
  if (route.url.startsWith('/v1/') || route.url.startsWith('/.well-known/')) statuses.push(503);
  if (statuses.length === 0) return;
  route.schema = { ...schema, response: { ...problemResponses(...statuses), ...(schema.response as object | undefined) } };
}
