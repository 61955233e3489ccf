import {
  createLogger,
  createMetricsRegistry,
  startOpsServer,
  startTracing,
  type Logger,
  type Registry,
} from '@bulkhead/observability';

/** The settings every service's runtime needs (a subset of `serviceConfigShape`). */
export interface RuntimeConfig {
  METRICS_PORT: number;
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error';
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  SHUTDOWN_GRACE_MS: number;
}

/** What a service's code receives from its runtime. */
export interface ServiceDependencies {
  logger: Logger;
  registry: Registry;
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
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { name, config } = options;
  const tracing = startTracing({ serviceName: name, otlpTracesUrl: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  const logger = createLogger({ service: name, level: config.LOG_LEVEL, traceIds: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined });
  const registry = createMetricsRegistry(name);
  let service: RunningService | undefined;
  const ops = await startOpsServer({
    port: config.METRICS_PORT,
    registry,
    checkReadiness: async () => (service === undefined ? ['starting'] : service.checkReadiness()),
  });
  try {
    service = await options.start({ logger, registry });
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
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
