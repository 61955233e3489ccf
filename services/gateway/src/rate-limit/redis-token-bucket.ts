import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BucketPolicy, BucketState } from './rate-limit.policy';

// One atomic step of a token bucket kept in a hash {tokens, ts}: refill for the time elapsed
// (Redis's own clock, so every gateway replica agrees), take one token if there is one, store,
// and expire the key once it would be full again (a full bucket and no key are the same).
// Fractional tokens travel as strings: Redis truncates Lua numbers to integers.
const TOKEN_BUCKET_SCRIPT = `
local capacity = tonumber(ARGV[1])
local refill_per_ms = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * refill_per_ms)
  ts = now
end
tokens = math.min(capacity, tokens)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((capacity - tokens) / refill_per_ms)))
return { allowed, tostring(tokens) }
`;

const TOKEN_BUCKET_SHA1 = createHash('sha1').update(TOKEN_BUCKET_SCRIPT).digest('hex');

/** Token buckets whose state lives in Redis. */
export interface TokenBucket {
  /** Takes one token from the bucket at `key` under `policy`; rejects when Redis does not answer. */
  take(key: string, policy: BucketPolicy): Promise<BucketState>;
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

/**
 * {@link TokenBucket} on one Lua script, run by its SHA-1 (`EVALSHA`) and sent in full only when
 * Redis does not have it cached yet (after a restart or `SCRIPT FLUSH`), which loads it again.
 */
export function createRedisTokenBucket(redis: Redis): TokenBucket {
  return {
    async take(key, policy) {
      const args = [String(policy.capacity), String(policy.refillPerMs)];
      let reply: unknown;
      try {
        reply = await redis.evalsha(TOKEN_BUCKET_SHA1, 1, key, ...args);
      } catch (err) {
        if (!isNoScript(err)) throw err;
        reply = await redis.eval(TOKEN_BUCKET_SCRIPT, 1, key, ...args);
      }
      const [allowed, tokens] = reply as [number, string];
      return { allowed: allowed === 1, tokens: Number(tokens) };
    },
  };
}
