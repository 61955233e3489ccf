export { createLogger, REDACTED_PATHS } from './logger';
export type { Logger, LoggerOptions } from './logger';
export {
  createGrpcCallDurationHistogram,
  createHttpRequestDurationHistogram,
  createMetricsRegistry,
  GRPC_CALL_DURATION_METRIC,
  HTTP_REQUEST_DURATION_METRIC,
  REQUEST_DURATION_BUCKETS,
} from './metrics';
export type { Registry } from './metrics';
export { startOpsServer } from './ops-server';
export type { OpsServer, OpsServerOptions } from './ops-server';
export { currentTraceId, startTracing } from './tracing';
export type { Tracing, TracingOptions } from './tracing';
