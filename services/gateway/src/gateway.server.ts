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
export type GatewayDependencies = ServiceDependencies & Omit<GatewayAppDependencies, keyof ServiceDependencies | 'checkReadiness' | 'checkDegraded'>;

export interface Gateway extends RunningService {
  /** The bound REST port (useful with port 0 in tests). */
  port: number;
}

const HEALTH_DEADLINE_MS = 1000;

/** Health entries of a backend's supervised loops (ADR 0012). */
const LOOP_PREFIX = 'loop/';

/**
 * The public REST edge: request ids, problem+json errors, the OpenAPI document, `/healthz`,
 * `/readyz`, and the routes forwarded to the backends, each request measured in the registry the
 * ops port serves. The verifier and the backends' clients are the caller's: it closes them after
 * {@link Gateway.stop}.
 *
 * Readiness asks each backend's gRPC health (ADR 0012): a backend that does not answer, or
 * answers NOT_SERVING without naming a loop (it is shutting down), is failing: the gateway is
 * not ready. A backend NOT_SERVING because some of its loops are down (`loop/<name>`, e.g. the
 * audit pipeline while Kafka is away) still serves its API: `/readyz` names it and those loops
 * as degraded, with the gateway's own loops that are down, and the gateway stays in rotation.
 */
export async function startGateway(options: GatewayOptions, dependencies: GatewayDependencies): Promise<Gateway> {
  const { logger } = dependencies;
  const health = new Map<string, GrpcClient<typeof HealthService>>(
    Object.entries(options.upstreams).map(([name, address]) => [
      name,
      createGrpcClient(HealthClient, address, { defaultDeadlineMs: HEALTH_DEADLINE_MS }),
    ]),
  );
  /** Undefined when serving; else the loops it names as down (none: it is failing). */
  const downLoopsOf = async (client: GrpcClient<typeof HealthService>): Promise<string[] | undefined> => {
    const reply = await client.check({ service: '' });
    if (reply.status === HealthCheckResponse_ServingStatus.SERVING) return undefined;
    const { statuses } = await client.list({});
    return Object.entries(statuses)
      .filter(([service, status]) => service.startsWith(LOOP_PREFIX) && status.status !== HealthCheckResponse_ServingStatus.SERVING)
      .map(([service]) => service.slice(LOOP_PREFIX.length));
  };
  const upstreamLoops = (): Promise<[string, string[] | undefined][]> =>
    Promise.all([...health].map(async ([name, client]) => [name, await downLoopsOf(client).catch(() => [])] as [string, string[] | undefined]));
  const checkReadiness = async (): Promise<string[]> =>
    (await upstreamLoops()).filter(([, loops]) => loops !== undefined && loops.length === 0).map(([name]) => name);
  const checkDegraded = async (): Promise<Record<string, string[]>> => {
    const degraded = Object.fromEntries((await upstreamLoops()).filter((entry): entry is [string, string[]] => entry[1] !== undefined && entry[1].length > 0));
    const own = dependencies.supervisor.down().map((loop) => loop.name);
    return own.length === 0 ? degraded : { ...degraded, gateway: own };
  };

  const app = await createGatewayApp({ ...dependencies, checkReadiness, checkDegraded });

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
