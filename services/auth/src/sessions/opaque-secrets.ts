import { createHash, randomBytes } from 'node:crypto';

/** Prefix of refresh tokens. */
export const REFRESH_TOKEN_PREFIX = 'bhr_';
/** Prefix of API key secrets: the gateway tells keys from JWTs by it. */
export const API_KEY_PREFIX = 'bhk_';

/** A fresh 256-bit secret with a recognisable prefix. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * How a secret is stored: SHA-256. Enough for 256-bit random values (no password stretching
 * needed), and a lookup by hash is one index probe.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
