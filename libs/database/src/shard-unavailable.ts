import { AppError } from '@bulkhead/errors';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'ENOENT',
  // admin_shutdown, crash_shutdown, cannot_connect_now
  '57P01',
  '57P02',
  '57P03',
]);

const CONNECTION_ERROR_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i];

/** True when `err` says the shard could not be reached or dropped the connection. */
export function isConnectionError(err: unknown): boolean {
  // Structural, not `instanceof Error`: socket errors may come from another realm (jest's VM).
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && CONNECTION_ERROR_MESSAGES.some((pattern) => pattern.test(message));
}

/** The UNAVAILABLE error for a shard that cannot be reached: names the shard id, never its URL. */
export function shardUnavailable(shardId: string, cause: unknown): AppError {
  return new AppError({
    kind: 'UNAVAILABLE',
    code: 'SHARD_UNAVAILABLE',
    message: `Shard ${shardId} is unavailable`,
    details: { shardId },
    cause,
  });
}
