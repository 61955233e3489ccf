import { envFields, loadConfigOrExit, serviceConfigShape } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';

const config = loadConfigOrExit('gateway', {
  ...serviceConfigShape,
  /** Public REST port. */
  HTTP_PORT: envFields.port().default(8080),
  /** The auth service's gRPC address (`host:port`). */
  AUTH_GRPC_ADDRESS: envFields.string(),
});

void runService({
  name: 'gateway',
  config,
  start: async (dependencies) =>
    (await import('./gateway.server')).startGateway(
      { httpPort: config.HTTP_PORT, upstreams: { auth: config.AUTH_GRPC_ADDRESS } },
      dependencies,
    ),
});
