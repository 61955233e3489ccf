import {
  createLogger,
  createMetricsRegistry,
  startOpsServer,
  startTracing,
  type Logger,
  type Registry,
} from '@bulkhead/observability';
import { createSupervisor, type Supervisor } from './supervisor';

/** The settings every service's runtime needs (a subset of `serviceConfigShape`). */
export interface RuntimeConfig {
  METRICS_PORT: number;
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error';
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  SHUTDOWN_GRACE_MS: number;
  /** The first wait before a failed loop is restarted; doubles per consecutive failure. */
  LOOP_RESTART_INITIAL_MS: number;
  /** The longest wait before a failed loop is restarted. */
  LOOP_RESTART_MAX_MS: number;
  /** How long a loop may stay down before `/healthz` fails and the orchestrator restarts the process. */
  LOOP_DOWN_LIVENESS_MS: number;
}

/** What a service's code receives from its runtime. */
export interface ServiceDependencies {
  logger: Logger;
  registry: Registry;
  /** Runs the service's long-lived loops, restarting each that fails; stopped before {@link RunningService.stop}. */
  supervisor: Supervisor;
}

/** A started service: how to tell whether it can serve, and how to stop it gracefully. */
export interface RunningService {
  /** Names of the dependencies that do not answer; empty when ready. */
  checkReadiness(): Promise<readonly string[]>;
  /** Stops taking work and lets in-flight work finish within `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export interface RunServiceOptions {
  name: string;
  config: RuntimeConfig;
  /**
   * Loads and starts the service's own code. It is loaded lazily, after tracing has started,
   * so the instrumented clients (pg, ioredis, kafkajs, grpc) are patched before first use.
   */
  start(dependencies: ServiceDependencies): Promise<RunningService>;
}

/**
 * The life of a service process: tracing, JSON logs, metrics and the ops endpoints
 * (`/healthz`, `/readyz`, `/metrics`) first, then the service, then a graceful stop on
 * SIGTERM/SIGINT. A failure to start is logged and exits with status 1.
 *
 * The service's long-lived loops run under the runtime's supervisor (ADR 0012): `/readyz` names
 * every loop that is down (and affects readiness) besides the service's own failing dependencies;
 * `/healthz` fails, naming them, once a loop has been down longer than `LOOP_DOWN_LIVENESS_MS`.
 * On SIGTERM the loops stop first, then the service.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { name, config } = options;
  const tracing = startTracing({ serviceName: name, otlpTracesUrl: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  const logger = createLogger({ service: name, level: config.LOG_LEVEL, traceIds: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined });
  const registry = createMetricsRegistry(name);
  const supervisor = createSupervisor({
    logger,
    registry,
    backoff: { initialMs: config.LOOP_RESTART_INITIAL_MS, maxMs: config.LOOP_RESTART_MAX_MS },
  });
  let service: RunningService | undefined;
  const ops = await startOpsServer({
    port: config.METRICS_PORT,
    registry,
    checkReadiness: async () => {
      if (service === undefined) return ['starting'];
      const loops = supervisor.down().filter((loop) => loop.affectsReadiness).map((loop) => loop.name);
      return [...(await service.checkReadiness()), ...loops];
    },
    checkLiveness: () =>
      supervisor
        .down()
        .filter((loop) => Date.now() - loop.since.getTime() > config.LOOP_DOWN_LIVENESS_MS)
        .map((loop) => `${loop.name} down since ${loop.since.toISOString()}: ${loop.reason ?? 'not started yet'}`),
  });
  try {
    service = await options.start({ logger, registry, supervisor });
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    await supervisor.stop();
    await ops.close();
    await tracing.shutdown();
    process.exit(1);
  }
  logger.info({ metricsPort: ops.port }, `${name} started`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name} stopping`);
    let code = 0;
    try {
      await supervisor.stop();
      await service?.stop(config.SHUTDOWN_GRACE_MS);
    } catch (err) {
      logger.error({ err }, `${name} did not stop cleanly`);
      code = 1;
    }
    await ops.close();
    await tracing.shutdown();
    logger.info(`${name} stopped`);
    process.exit(code);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}
