import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { currentTraceId } from './tracing';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line, wherever they appear one or two levels deep:
 * credentials, tokens and anything that authenticates a caller.
 */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'secret',
  'credentials',
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'metadata.authorization',
].flatMap((path) => [path, `*.${path}`]);

export interface LoggerOptions {
  /** Service name, on every line as `service`. */
  service: string;
  level?: LevelWithSilent;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /**
   * Tracing is on: every line written inside a span carries its `traceId`. Off by default, so a
   * process without tracing does not look for a span on each line (ADR 0010).
   */
  traceIds?: boolean;
}

const traceIdOfLine = (): { traceId?: string } => {
  const traceId = currentTraceId();
  return traceId === undefined ? {} : { traceId };
};

/**
 * A JSON logger (pino) for one service. Request-scoped fields are bound by the transports: the
 * request id to a child logger per request, then the caller (`tenantId`, `userId` or
 * `apiKeyId`) with `setBindings` once its token is verified (ADR 0015).
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      ...(options.traceIds === true ? { mixin: traceIdOfLine } : {}),
    },
    options.destination,
  );
}
