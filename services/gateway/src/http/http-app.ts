import { AppError, invalidArgument, PROBLEM_CONTENT_TYPE, toAppError, toProblem, type FieldViolation } from '@bulkhead/errors';
import type { Logger } from '@bulkhead/observability';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyReply } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { requestLogFields } from './request-log';

/** A caller's request id the gateway keeps (REST `X-Request-Id`, gRPC `x-request-id`); others are replaced. */
export const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Largest accepted request body; larger answers 413. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** Name of the bearer scheme in the OpenAPI document's `components.securitySchemes`. */
export const BEARER_SECURITY_SCHEME = 'bearerAuth';

/**
 * A fastify app with what every route shares: request ids (a well-formed caller id is kept,
 * so one id follows the call across services), zod validation whose failures answer 400 naming
 * each field, problem+json for every error, one log line per request, and the OpenAPI 3.1
 * document (`/openapi.json`, browsable at `/docs`) generated from the same zod schemas.
 */
export async function createHttpApp(logger: Logger) {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    logger.info(
      {
        ...requestLogFields(request),
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const problem = toProblem(
      new AppError({ kind: 'NOT_FOUND', code: 'ROUTE_NOT_FOUND', message: `No route for ${request.method} ${path}` }),
      { requestId: request.id },
    );
    return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const error = toAppError(fromFastifyError(err));
    const problem = toProblem(error, { requestId: request.id });
    if (problem.status >= 500) logger.error({ err, ...requestLogFields(request) }, 'request failed');
    setProblemHeaders(reply, error, problem.status);
    return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Bulkhead API', version: '1.0.0', description: 'The public REST surface of Bulkhead.' },
      components: {
        securitySchemes: {
          [BEARER_SECURITY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description: 'An access token (JWT), or an API key (`bhk_…`) which the gateway exchanges for one.',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * The headers an error's status calls for: `Retry-After` from `details.retryAfterSeconds` on a
 * 429 or 503, and `WWW-Authenticate` on every 401 (RFC 9110), saying `invalid_token` when a
 * token was presented and refused (RFC 6750).
 */
function setProblemHeaders(reply: FastifyReply, error: AppError, status: number): void {
  const retryAfter = error.details['retryAfterSeconds'];
  if (RETRY_AFTER_STATUSES.has(status) && retryAfter !== undefined && /^\d+$/.test(retryAfter)) reply.header('retry-after', retryAfter);
  if (status === 401) {
    const refusedToken = error.code.startsWith('TOKEN_') && error.code !== 'TOKEN_MISSING';
    reply.header('www-authenticate', refusedToken ? 'Bearer realm="bulkhead", error="invalid_token"' : 'Bearer realm="bulkhead"');
  }
}

/**
 * Fastify's own failures in Bulkhead's taxonomy: schema validation → 400 with one violation per
 * field (an unknown field of a strict object is named itself), an oversized body → 413,
 * malformed JSON → 400. Anything else passes through unchanged (an AppError keeps its kind; an
 * unknown error becomes a bare 500).
 */
function fromFastifyError(err: FastifyError): unknown {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const violations: FieldViolation[] = err.validation.flatMap((issue) => {
      const path = [err.validationContext, ...issue.instancePath.split('/').filter((p) => p !== '')].filter(Boolean);
      const unknownKeys = issue.keyword === 'unrecognized_keys' ? issue.params['keys'] : undefined;
      if (Array.isArray(unknownKeys)) {
        return unknownKeys.map((key) => ({ field: [...path, String(key)].join('.'), description: 'is not a known field' }));
      }
      return [{ field: path.join('.'), description: issue.message ?? 'is invalid' }];
    });
    return invalidArgument(violations);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError({ kind: 'PAYLOAD_TOO_LARGE', code: 'BODY_TOO_LARGE', message: `Request body exceeds ${BODY_LIMIT_BYTES} bytes` });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError({ kind: 'INVALID_ARGUMENT', code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Request body must be application/json' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError({ kind: 'INVALID_ARGUMENT', code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' });
    default:
      return err instanceof SyntaxError
        ? new AppError({ kind: 'INVALID_ARGUMENT', code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' })
        : err;
  }
}

/** The gateway's REST app; route schemas (zod) type the handlers. */
export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>;
