import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@bulkhead/errors';
import { HealthCheckResponse_ServingStatus, HealthClient, type HealthService } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient, type GrpcClient } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';

export interface GatewayOptions {
  httpPort: number;
  /** Backend services by name → gRPC address. Readiness requires every one to be SERVING. */
  upstreams: Readonly<Record<string, string>>;
  host?: string;
}

export interface Gateway extends RunningService {
  /** The bound REST port (useful with port 0 in tests). */
  port: number;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const HEALTH_DEADLINE_MS = 1000;

/**
 * The public REST edge. Today: request ids, problem+json errors, `/healthz`, `/readyz` (ready
 * only when every backend answers its gRPC health check) and `/metrics`. Routes to the backend
 * services are added with their issues.
 */
export async function startGateway(options: GatewayOptions, { logger, registry }: ServiceDependencies): Promise<Gateway> {
  const health = new Map<string, GrpcClient<typeof HealthService>>(
    Object.entries(options.upstreams).map(([name, address]) => [
      name,
      createGrpcClient(HealthClient, address, { defaultDeadlineMs: HEALTH_DEADLINE_MS }),
    ]),
  );
  const checkReadiness = async (): Promise<string[]> => {
    const answers = await Promise.all(
      [...health].map(async ([name, client]) => {
        try {
          const reply = await client.check({ service: '' });
          return reply.status === HealthCheckResponse_ServingStatus.SERVING ? undefined : name;
        } catch {
          return name;
        }
      }),
    );
    return answers.filter((name): name is string => name !== undefined);
  };

  const app: FastifyInstance = Fastify({
    bodyLimit: 256 * 1024,
    // A caller's request id is kept when it is well formed, so one id follows the call across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    logger.info(
      { requestId: request.id, method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, durationMs: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.setNotFoundHandler(async (request, reply) => {
    const problem = toProblem(new AppError({ kind: 'NOT_FOUND', code: 'ROUTE_NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}` }), { requestId: request.id });
    return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });
  app.setErrorHandler(async (err, request, reply) => {
    const problem = toProblem(err, { requestId: request.id });
    if (problem.status >= 500) logger.error({ err, requestId: request.id }, 'request failed');
    return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const failing = await checkReadiness();
    return reply.status(failing.length === 0 ? 200 : 503).send(failing.length === 0 ? { status: 'ready' } : { status: 'not ready', failing });
  });
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  await app.listen({ port: options.httpPort, host: options.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.httpPort;
  logger.info({ httpPort: port }, 'gateway REST listening');

  return {
    port,
    checkReadiness,
    stop: async () => {
      await app.close();
      for (const client of health.values()) closeGrpcClient(client);
    },
  };
}
