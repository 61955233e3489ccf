/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

const SECRET_KEY = /pass(word)?|secret|token|credential|api[-_]?key|authorization/i;

/**
 * A deep copy of `value` in which every member whose key looks like a secret (password, secret,
 * token, credential, API key, authorization) is replaced by {@link REDACTED}. For the `changes`
 * of an audit event, which copy what the caller sent or stored.
 */
export function redactSecrets<T>(value: T): T {
  return redact(value) as T;
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, SECRET_KEY.test(key) ? REDACTED : redact(member)]));
}
