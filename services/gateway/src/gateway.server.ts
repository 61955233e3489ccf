import { HealthCheckResponse_ServingStatus, HealthClient, type HealthService } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient, type GrpcClient } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { createGatewayApp, type GatewayAppDependencies } from './gateway.app';

export interface GatewayOptions {
  httpPort: number;
  /** Backend services by name → gRPC address. Readiness requires every one to be SERVING. */
  upstreams: Readonly<Record<string, string>>;
  host?: string;
}

/** The runtime's logger and registry, and the collaborators the composition root creates. */
export type GatewayDependencies = ServiceDependencies & Omit<GatewayAppDependencies, keyof ServiceDependencies | 'checkReadiness'>;

export interface Gateway extends RunningService {
  /** The bound REST port (useful with port 0 in tests). */
  port: number;
}

const HEALTH_DEADLINE_MS = 1000;

/**
 * The public REST edge: request ids, problem+json errors, the OpenAPI document, `/healthz`,
 * `/readyz` (ready only when every backend answers its gRPC health check), and the
 * routes forwarded to the backends, each request measured in the registry the ops port serves. The verifier and the backends' clients are the caller's: it
 * closes them after {@link Gateway.stop}.
 */
export async function startGateway(options: GatewayOptions, dependencies: GatewayDependencies): Promise<Gateway> {
  const { logger } = dependencies;
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

  const app = await createGatewayApp({ ...dependencies, checkReadiness });

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
