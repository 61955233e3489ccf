import { ProjectServiceClient } from '@bulkhead/contracts';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import Fastify from 'fastify';
import { requiredEnv, ready } from './bare-read-path.shared';

/**
 * The gateway with nothing of Bulkhead's: fastify serving `GET /v1/projects/:id` by calling the
 * generated ProjectService client and answering its project as JSON. No token check, rate limit,
 * validation, logging, tracing or metrics.
 */
const projects = new ProjectServiceClient(requiredEnv('BARE_PROJECT_ADDRESS'), credentials.createInsecure());
const app = Fastify();
app.get<{ Params: { id: string } }>('/v1/projects/:id', (request, reply) => {
  projects.getProject({ id: request.params.id }, (err: ServiceError | null, answer) => {
    if (err !== null) void reply.status(err.code === status.NOT_FOUND ? 404 : 500).send({ detail: err.details });
    else void reply.send({ ...answer.project, callerProjectRole: answer.callerProjectRole });
  });
  return reply;
});
app.listen({ host: '127.0.0.1', port: 0 }).then(
  () => {
    const address = app.server.address();
    ready(typeof address === 'object' && address !== null ? address.port : 0);
  },
  (err: unknown) => {
    throw err;
  },
);
