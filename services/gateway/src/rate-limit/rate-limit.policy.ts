import { PLANS, type Plan } from '@bulkhead/permissions';

/** Requests per minute each plan allows (PLAN_LIMITS unless configured otherwise). */
export type RequestsPerMinuteByPlan = Readonly<Record<Plan, number>>;

/** A token bucket: at most `capacity` tokens, `refillPerMs` tokens added every millisecond. */
export interface BucketPolicy {
  readonly capacity: number;
  readonly refillPerMs: number;
}

/** The bucket right after a request: whether it took a token, and the tokens left (fractional). */
export interface BucketState {
  readonly allowed: boolean;
  readonly tokens: number;
}

/**
 * The bucket of a plan allowing `requestsPerMinute`: it holds one minute's worth of requests
 * (a tenant idle for a minute may spend its whole minute at once) and refills at the same rate,
 * so a sustained client gets exactly `requestsPerMinute`.
 */
export function bucketPolicyOf(requestsPerMinute: number): BucketPolicy {
  return { capacity: requestsPerMinute, refillPerMs: requestsPerMinute / 60_000 };
}

/** The policy of every plan. */
export function bucketPoliciesOf(requestsPerMinute: RequestsPerMinuteByPlan): Readonly<Record<Plan, BucketPolicy>> {
  return Object.fromEntries(PLANS.map((plan) => [plan, bucketPolicyOf(requestsPerMinute[plan])])) as Record<Plan, BucketPolicy>;
}

const secondsUntil = (tokensMissing: number, policy: BucketPolicy): number =>
  Math.max(0, Math.ceil(tokensMissing / policy.refillPerMs / 1000));

/**
 * The `RateLimit-*` headers of draft-ietf-httpapi-ratelimit-headers for this request:
 * `RateLimit-Limit` is the bucket's capacity, `RateLimit-Remaining` the whole tokens left, and
 * `RateLimit-Reset` the seconds until the bucket is full again. `RateLimit-Policy` says the
 * capacity is per 60-second window.
 */
export function rateLimitHeaders(policy: BucketPolicy, state: BucketState): Record<string, string> {
  return {
    'ratelimit-limit': String(policy.capacity),
    'ratelimit-remaining': String(Math.floor(state.tokens)),
    'ratelimit-reset': String(secondsUntil(policy.capacity - state.tokens, policy)),
    'ratelimit-policy': `${policy.capacity};w=60`,
  };
}

/**
 * The request rate that {@link rateLimitHeaders} told a response: `used` is what the bucket is
 * short of full (the requests of the last minute not yet refilled, this one included) and `limit`
 * its capacity. Undefined without the headers (the store did not answer: the request went unlimited).
 */
export function requestRateOf(headers: Readonly<Record<string, unknown>>): { used: number; limit: number } | undefined {
  const limit = Number(headers['ratelimit-limit']);
  const remaining = Number(headers['ratelimit-remaining']);
  if (headers['ratelimit-limit'] === undefined || !Number.isInteger(limit) || !Number.isInteger(remaining)) return undefined;
  return { used: limit - remaining, limit };
}

/** Whole seconds (at least 1) until a refused request would find a token in the bucket. */
export function retryAfterSeconds(policy: BucketPolicy, state: BucketState): number {
  return Math.max(1, secondsUntil(1 - state.tokens, policy));
}
