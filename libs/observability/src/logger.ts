import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

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
}

/**
 * A JSON logger (pino) for one service. Request-scoped fields (`requestId`, `tenantId`,
 * `userId`) are added with `logger.child(...)` by the transport middleware.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
