import { AppError, httpStatusOf, invalidArgument, PROBLEM_CONTENT_TYPE, toAppError, toProblem, type ErrorKind, type FieldViolation } from '@bulkhead/errors';
import { cleanInputViolations, jsonTextNestsDeeperThan, MAX_JSON_DEPTH } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { withProblemResponses } from './problem-responses';
import { requestLogFields } from './request-log';
import { createRouteMethods } from './route-methods';

/** A caller's request id the gateway keeps (REST `X-Request-Id`, gRPC `x-request-id`); others are replaced. */
export const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Largest accepted request body; larger answers 413. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** Name of the bearer scheme in the OpenAPI document's `components.securitySchemes`. */
export const BEARER_SECURITY_SCHEME = 'bearerAuth';

/**
 * A fastify app with what every route shares: request ids (a well-formed caller id is kept,
 * so one id follows the call across services), the edge rules of ADR 0014 (JSON nested at most
 * `MAX_JSON_DEPTH` deep, strings valid Unicode without NUL, checked once here for every route),
 * zod validation whose failures answer 400 naming each field, 405 with `Allow` for a method a
 * routed path does not serve, problem+json for every error (fastify's own included), one log line
 * per request, and the OpenAPI 3.1 document (`/openapi.json`, browsable at `/docs`) generated
 * from the same zod schemas, with every operation's error statuses.
 */
export async function createHttpApp(logger: Logger) {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Failures found before routing (a malformed or over-long path) get no hooks: answer them here.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-request-id', request.id);
      void sendProblem(reply, toAppError(fromFastifyError(err)), request.id);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const routeMethods = createRouteMethods();
  app.addHook('onRoute', (route) => {
    routeMethods.add(route);
    withProblemResponses(route);
  });
  // A path with no route is 404; a routed path asked with a method it does not serve is 405.
  const answerUnrouted = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = routeMethods.allowedAt(path);
    if (allowed.length === 0) {
      return sendProblem(reply, new AppError({ kind: 'NOT_FOUND', code: 'ROUTE_NOT_FOUND', message: `No route for ${request.method} ${path}` }), request.id);
    }
    reply.header('allow', allowed.join(', '));
    return sendProblem(
      reply,
      new AppError({ kind: 'METHOD_NOT_ALLOWED', code: 'METHOD_NOT_ALLOWED', message: `${path} answers ${allowed.join(', ')}, not ${request.method}` }),
      request.id,
    );
  };

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonTextNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new AppError({
          kind: 'INVALID_ARGUMENT',
          code: 'JSON_TOO_DEEP',
          message: `Request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
          fieldViolations: [{ field: 'body', description: `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep` }],
        }),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Before any body is read: an unrouted method (even one fastify would refuse for its form, as
    // QUERY without a Content-Type) is a 404 or 405, never a parser error.
    if (request.is404) return answerUnrouted(request, reply);
    return undefined;
  });
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema;
    const violations = [
      ...(schema?.body === undefined ? [] : cleanInputViolations(request.body, 'body')),
      ...(schema?.querystring === undefined ? [] : cleanInputViolations(request.query, 'querystring')),
      ...(schema?.params === undefined ? [] : cleanInputViolations(request.params, 'params')),
    ];
    if (violations.length > 0) throw invalidArgument(violations);
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
  app.setNotFoundHandler(answerUnrouted);
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const error = toAppError(fromFastifyError(err));
    if (httpStatusOf(error.kind) >= 500) logger.error({ err, ...requestLogFields(request) }, 'request failed');
    return sendProblem(reply, error, request.id);
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
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** Answers `error` as problem+json with its status and the headers that status calls for. */
function sendProblem(reply: FastifyReply, error: AppError, requestId: string): FastifyReply {
  const problem = toProblem(error, { requestId });
  setProblemHeaders(reply, error, problem.status);
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

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

/** Kinds of the 4xx statuses fastify answers itself; any other 4xx of its own is a 400. */
const KIND_OF_FRAMEWORK_STATUS: Readonly<Record<number, ErrorKind>> = {
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

const malformedJson = () => new AppError({ kind: 'INVALID_ARGUMENT', code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' });

/**
 * Fastify's own failures in Bulkhead's taxonomy: schema validation → 400 with one violation per
 * field (an unknown field of a strict object is named itself), an oversized body → 413, a body
 * that is not JSON → 415, malformed JSON → 400, an over-long path → 414, any other refusal of
 * the request's form by fastify → its 4xx with fastify's message. Anything else passes through
 * unchanged (an AppError keeps its kind; an unknown error becomes a bare 500).
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
    case 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE':
      return new AppError({ kind: 'UNSUPPORTED_MEDIA_TYPE', code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Request body must be application/json' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return malformedJson();
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError({ kind: 'URI_TOO_LONG', code: 'PATH_TOO_LONG', message: 'A path segment of the request is too long' });
    case 'FST_ERR_BAD_URL':
      return new AppError({ kind: 'INVALID_ARGUMENT', code: 'MALFORMED_URL', message: 'The request path is not a valid URL (bad percent-encoding)' });
    default:
      break;
  }
  if (err instanceof SyntaxError) return malformedJson();
  if (typeof err.code === 'string' && err.code.startsWith('FST_') && err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError({ kind: KIND_OF_FRAMEWORK_STATUS[err.statusCode] ?? 'INVALID_ARGUMENT', code: 'MALFORMED_REQUEST', message: err.message, cause: err });
  }
  return err;
}

/** The gateway's REST app; route schemas (zod) type the handlers. */
export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>;
