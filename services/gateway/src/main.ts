import { envFields, loadConfigOrExit, serviceConfigShape, tokenConfigShape } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';

const config = loadConfigOrExit('gateway', {
  ...serviceConfigShape,
  ...tokenConfigShape,
  /** Public REST port. */
  HTTP_PORT: envFields.port().default(8080),
  /** The auth service's gRPC address (`host:port`). */
  AUTH_GRPC_ADDRESS: envFields.string(),
  /** Where revoked sessions are listed (shared with every service). */
  REDIS_URL: envFields.url(['redis', 'rediss']),
  /** Deadline of each call to a backend; past it the request answers 503 naming the backend. */
  UPSTREAM_DEADLINE_MS: envFields.positiveInt().default(5000),
});

void runService({
  name: 'gateway',
  config,
  start: async (dependencies) => {
    // Loaded after tracing has started, so ioredis and grpc-js are instrumented.
    const [{ Redis }, { createServiceAuthentication }, { createAuthUpstream }, { startGateway }] = await Promise.all([
      import('ioredis'),
      import('@bulkhead/tokens'),
      import('./upstream/auth.upstream'),
      import('./gateway.server'),
    ]);
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3000 });
    // ioredis reconnects by itself; without a listener it prints each failure to stderr, outside the JSON logs.
    redis.on('error', (err: Error) => dependencies.logger.warn({ err }, 'redis connection failed'));
    const authentication = createServiceAuthentication({
      issuer: config.TOKEN_ISSUER,
      audience: config.TOKEN_AUDIENCE,
      authAddress: config.AUTH_GRPC_ADDRESS,
      redis,
    });
    const auth = createAuthUpstream(config.AUTH_GRPC_ADDRESS, config.UPSTREAM_DEADLINE_MS);
    const gateway = await startGateway(
      { httpPort: config.HTTP_PORT, upstreams: { auth: config.AUTH_GRPC_ADDRESS } },
      { ...dependencies, verifier: authentication.verifier, auth: auth.client },
    );
    return {
      checkReadiness: gateway.checkReadiness,
      stop: async (graceMs: number) => {
        await gateway.stop(graceMs);
        auth.close();
        authentication.close();
        redis.disconnect();
      },
    };
  },
});
