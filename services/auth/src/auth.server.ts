import { createGrpcServer } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';

export interface AuthServerConfig {
  GRPC_PORT: number;
}

/**
 * The auth service's gRPC server. Today it answers the standard health service only; the
 * identity RPCs (signup, login, tokens, API keys, JWKS) are registered here as they are built.
 */
export async function startAuthServer(config: AuthServerConfig, { logger }: ServiceDependencies): Promise<RunningService> {
  const server = createGrpcServer({ logger });
  const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
  logger.info({ grpcPort: port }, 'auth gRPC listening');
  return {
    checkReadiness: async () => [],
    stop: (graceMs) => server.shutdown({ timeoutMs: graceMs }),
  };
}
