import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BucketPolicy, BucketState } from './rate-limit.policy';

// One atomic step of a token bucket kept in a hash {tokens, ts} at KEYS[1], under the policy in
// `capacity` and `refill_per_ms`: refill for the time elapsed (Redis's own clock, so every gateway
// replica agrees), take one token if there is one, store, and expire the key once it would be full
// again (a full bucket and no key are the same). Fractional tokens travel as strings: Redis
// truncates Lua numbers to integers.
const TAKE_TOKEN = `
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
`;

// The bucket under the policy given in ARGV.
const TOKEN_BUCKET_SCRIPT = `
local capacity = tonumber(ARGV[1])
local refill_per_ms = tonumber(ARGV[2])
${TAKE_TOKEN}
return { allowed, tostring(tokens) }
`;

// The bucket under the policy of the plan cached (as JSON, by the tenant cache) at KEYS[2], chosen
// from ARGV's (plan, capacity, refill per ms) triples, the first of which is the policy of a plan
// not listed. Nothing is taken when no plan is cached: the caller loads it and uses the script above.
const CACHED_PLAN_BUCKET_SCRIPT = `
local cached = redis.call('GET', KEYS[2])
if not cached then return { -1 } end
local ok, plan = pcall(cjson.decode, cached)
local chosen = 1
for i = 1, #ARGV, 3 do
  if ok and ARGV[i] == plan then chosen = i end
end
local capacity = tonumber(ARGV[chosen + 1])
local refill_per_ms = tonumber(ARGV[chosen + 2])
${TAKE_TOKEN}
return { allowed, tostring(tokens), ARGV[chosen] }
`;

const sha1Of = (script: string): string => createHash('sha1').update(script).digest('hex');
const TOKEN_BUCKET_SHA1 = sha1Of(TOKEN_BUCKET_SCRIPT);
const CACHED_PLAN_BUCKET_SHA1 = sha1Of(CACHED_PLAN_BUCKET_SCRIPT);

/** Token buckets whose state lives in Redis. */
export interface TokenBucket {
  /** Takes one token from the bucket at `key` under `policy`; rejects when Redis does not answer. */
  take(key: string, policy: BucketPolicy): Promise<BucketState>;
  /**
   * The same step in the same round trip as reading the plan cached at `planKey` (the tenant
   * cache's JSON string, in the bucket's hash slot), under that plan's policy, or under
   * `policies[fallback]` when the cached plan is none of them. Undefined, nothing taken, when no
   * plan is cached. Rejects when Redis does not answer.
   */
  takeUnderCachedPlan<P extends string>(
    key: string,
    planKey: string,
    policies: Readonly<Record<P, BucketPolicy>>,
    fallback: P,
  ): Promise<{ plan: P; state: BucketState } | undefined>;
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

/**
 * {@link TokenBucket} on one Lua script, run by its SHA-1 (`EVALSHA`) and sent in full only when
 * Redis does not have it cached yet (after a restart or `SCRIPT FLUSH`), which loads it again.
 */
export function createRedisTokenBucket(redis: Redis): TokenBucket {
  const run = async (script: string, sha1: string, keys: readonly string[], args: readonly string[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha1, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(script, keys.length, ...keys, ...args);
    }
  };
  const stateOf = (allowed: number, tokens: string): BucketState => ({ allowed: allowed === 1, tokens: Number(tokens) });
  // A limiter passes the same policies on every call: their script arguments are built once.
  const planArguments = new WeakMap<object, string[]>();
  return {
    async take(key, policy) {
      const [allowed, tokens] = (await run(TOKEN_BUCKET_SCRIPT, TOKEN_BUCKET_SHA1, [key], [String(policy.capacity), String(policy.refillPerMs)])) as [
        number,
        string,
      ];
      return stateOf(allowed, tokens);
    },
    async takeUnderCachedPlan(key, planKey, policies, fallback) {
      let args = planArguments.get(policies);
      if (args === undefined || args[0] !== fallback) {
        const plans = [fallback, ...(Object.keys(policies) as Array<typeof fallback>).filter((plan) => plan !== fallback)];
        args = plans.flatMap((plan) => [plan, String(policies[plan].capacity), String(policies[plan].refillPerMs)]);
        planArguments.set(policies, args);
      }
      const reply = (await run(CACHED_PLAN_BUCKET_SCRIPT, CACHED_PLAN_BUCKET_SHA1, [key, planKey], args)) as [number, string?, string?];
      const [allowed, tokens, plan] = reply;
      if (allowed === -1 || tokens === undefined || plan === undefined) return undefined;
      return { plan: plan as typeof fallback, state: stateOf(allowed, tokens) };
    },
  };
}
