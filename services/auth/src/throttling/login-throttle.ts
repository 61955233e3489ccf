import { createHash } from 'node:crypto';
import { AppError } from '@bulkhead/errors';
import type { Redis } from 'ioredis';

/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  maxFailuresPerAccount: number;
  accountWindowSeconds: number;
  maxAttemptsPerIp: number;
  ipWindowSeconds: number;
}

/** Brute-force defence for Login: per-account failures and per-IP attempts, in Redis. */
export interface LoginThrottle {
  /** Counts an attempt from `ip`; throws RATE_LIMITED `LOGIN_THROTTLED` with `retryAfterSeconds` when over a limit. */
  admit(email: string, ip: string | undefined): Promise<void>;
  recordFailure(email: string): Promise<void>;
  /** A successful login clears the account's failures. */
  recordSuccess(email: string): Promise<void>;
}

const accountKey = (email: string): string =>
  `bh:auth:login-failures:${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url')}`;
const ipKey = (ip: string): string => `bh:auth:login-attempts:${ip}`;

function throttled(retryAfterMs: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError({
    kind: 'RATE_LIMITED',
    code: 'LOGIN_THROTTLED',
    message: `Too many login attempts. Try again in ${retryAfterSeconds} seconds.`,
    details: { retryAfterSeconds: String(retryAfterSeconds) },
  });
}

/**
 * Fixed-window counters: an account locks after `maxFailuresPerAccount` failures within
 * `accountWindowSeconds` (counted from the first failure); an IP after `maxAttemptsPerIp`
 * attempts within `ipWindowSeconds`. Keys expire with their window. The account key is a
 * hash of the email, so Redis never holds addresses.
 */
export function createLoginThrottle(redis: Redis, options: LoginThrottleOptions): LoginThrottle {
  return {
    async admit(email, ip) {
      if (ip !== undefined) {
        const key = ipKey(ip);
        const [[, attempts], , [, ttl]] = (await redis.multi().incr(key).expire(key, options.ipWindowSeconds, 'NX').pttl(key).exec()) as [
          [Error | null, number],
          [Error | null, number],
          [Error | null, number],
        ];
        if (attempts > options.maxAttemptsPerIp) throw throttled(ttl);
      }
      const key = accountKey(email);
      const [failures, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
      if (Number(failures ?? 0) >= options.maxFailuresPerAccount) throw throttled(ttl);
    },
    async recordFailure(email) {
      const key = accountKey(email);
      await redis.multi().incr(key).expire(key, options.accountWindowSeconds, 'NX').exec();
    },
    async recordSuccess(email) {
      await redis.del(accountKey(email));
    },
  };
}
