export type { CallContext, MethodInfo } from './call-context';
export { createGrpcCallMetrics } from './call-metrics';
export type { GrpcCallMetrics } from './call-metrics';
export { closeGrpcClient, createGrpcClient, DEFAULT_CLIENT_DEADLINE_MS, waitForReady } from './client';
export type {
  ClientCallOptions,
  ClientMethod,
  GrpcClient,
  GrpcClientConstructor,
  GrpcClientOptions,
  ParentCall,
} from './client';
export { fromGrpcError, grpcStatusName, isGrpcStatusError, toGrpcStatusError } from './grpc-error.codec';
export type { GrpcStatusError } from './grpc-error.codec';
export type { HealthReporter, ServingStatus } from './health.service';
export { composeServerMiddleware } from './middleware';
export type { NoExtension, ServerMiddleware, ServerMiddlewareCall } from './middleware';
export { REQUEST_ID_METADATA_KEY } from './request-id.middleware';
export {
  createGrpcServer,
  DEFAULT_MAX_DEADLINE_MS,
  DEFAULT_MAX_STREAM_DEADLINE_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
} from './server';
export type { GrpcServer, GrpcServerOptions, ShutdownOptions } from './server';
export type {
  AnyMethodDefinition,
  AnyServiceDefinition,
  RequestOf,
  ResponseOf,
  ServerStreamingMethodImplementation,
  ServiceImplementation,
  UnaryMethodImplementation,
} from './service-definition';
export { createdSortKeySql, DEFAULT_PAGE_SIZE, encodeCursor, MAX_PAGE_SIZE, pageOf, parseCreatedSortKey, readPage } from './pagination';
export type { PageWindow } from './pagination';
export { cleanInputViolations, jsonTextNestsDeeperThan, MAX_JSON_DEPTH, parseJsonText, parseRequest } from './request-validation';
export type { ParsedJsonText } from './request-validation';
