import { z } from 'zod';

/**
 * Field parsers for environment variables. Each takes the raw string (or undefined) and
 * produces a typed value with a message that says what was expected.
 */
export const envFields = {
  /** A string that must be present and non-empty. */
  string: () => z.string({ error: 'is required' }).trim().min(1, 'must not be empty'),

  /** A URL whose scheme is one of `protocols` (without the colon), e.g. `['redis', 'rediss']`. */
  url: (protocols: readonly string[]) =>
    z
      .string({ error: 'is required' })
      .trim()
      .refine((value) => isUrlWithProtocol(value, protocols), {
        message: `must be a ${protocols.join(' or ')}:// URL`,
      }),

  /** A TCP port, 0 to 65535 (0 = any free port). */
  port: () => z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 to 65535').max(65535, 'must be 0 to 65535'),

  /** A whole number ≥ 1 (pool sizes, limits, counts). */
  positiveInt: () =>
    z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be at least 1'),

  /** `true`/`false`/`1`/`0`. */
  boolean: () =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .transform((value) => value === 'true' || value === '1'),

  /** A comma-separated list of non-empty strings. */
  list: () =>
    z
      .string({ error: 'is required' })
      .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
      .refine((items) => items.length > 0, { message: 'must list at least one value' }),

  /** A JSON document validated by `schema`. */
  json: <T extends z.ZodType>(schema: T) =>
    z
      .string({ error: 'is required' })
      .transform((value, ctx) => {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
          return z.NEVER;
        }
      })
      .pipe(schema),

  /** A base64 string of exactly 32 bytes (an AES-256 key), as its bytes. */
  aes256Key: () =>
    z
      .string({ error: 'is required' })
      .trim()
      .transform((value, ctx) => {
        const bytes = Buffer.from(value, 'base64');
        if (bytes.length !== 32 || bytes.toString('base64') !== value) {
          ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)' });
          return z.NEVER;
        }
        return bytes;
      }),

  /** One of a fixed set of values. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values, { error: `must be one of ${values.join(', ')}` }),
};

function isUrlWithProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol.slice(0, -1)) && url.host.length > 0;
  } catch {
    return false;
  }
}
