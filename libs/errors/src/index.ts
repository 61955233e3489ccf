export {
  AppError,
  ERROR_KINDS,
  internalError,
  invalidArgument,
  isAppError,
  notFound,
  toAppError,
} from './app-error';
export type { AppErrorOptions, ErrorKind, FieldViolation } from './app-error';
export { GRPC_STATUS, grpcStatusOf, kindOfGrpcStatus } from './grpc-status';
export { httpStatusOf, PROBLEM_CONTENT_TYPE, toProblem } from './problem';
export type { Problem } from './problem';
