import { PLAN_LIMITS } from '@bulkhead/permissions';
import { bucketPoliciesOf, bucketPolicyOf, rateLimitHeaders, requestRateOf, retryAfterSeconds } from './rate-limit.policy';

describe('the rate limit bucket of a plan', () => {
  it('holds one minute of requests and refills at the per-minute rate', () => {
    const policy = bucketPolicyOf(600);
    expect(policy.capacity).toBe(600);
    expect(policy.refillPerMs * 60_000).toBeCloseTo(600, 9);
    expect(policy.refillPerMs).toBeCloseTo(0.01, 12);
  });

  it('sizes every plan from the configured requests per minute', () => {
    const policies = bucketPoliciesOf({ basic: 6, professional: 60, enterprise: PLAN_LIMITS.enterprise.requestsPerMinute });
    expect(policies.basic).toEqual({ capacity: 6, refillPerMs: 6 / 60_000 });
    expect(policies.professional.capacity).toBe(60);
    expect(policies.enterprise.capacity).toBe(PLAN_LIMITS.enterprise.requestsPerMinute);
  });
});

describe('RateLimit headers', () => {
  const policy = bucketPolicyOf(60); // one token per second

  it('report the capacity, the whole tokens left and the seconds until the bucket is full', () => {
    expect(rateLimitHeaders(policy, { allowed: true, tokens: 59 })).toEqual({
      'ratelimit-limit': '60',
      'ratelimit-remaining': '59',
      'ratelimit-reset': '1',
      'ratelimit-policy': '60;w=60',
    });
    expect(rateLimitHeaders(policy, { allowed: true, tokens: 10.4 })).toMatchObject({ 'ratelimit-remaining': '10', 'ratelimit-reset': '50' });
    expect(rateLimitHeaders(policy, { allowed: false, tokens: 0.25 })).toMatchObject({ 'ratelimit-remaining': '0', 'ratelimit-reset': '60' });
  });

  it('say 0 seconds to reset for a full bucket', () => {
    expect(rateLimitHeaders(policy, { allowed: true, tokens: 60 })['ratelimit-reset']).toBe('0');
  });
});

describe('Retry-After of a refused request', () => {
  it('is the whole seconds until one token is back', () => {
    expect(retryAfterSeconds(bucketPolicyOf(60), { allowed: false, tokens: 0 })).toBe(1);
    expect(retryAfterSeconds(bucketPolicyOf(6), { allowed: false, tokens: 0 })).toBe(10);
    expect(retryAfterSeconds(bucketPolicyOf(6), { allowed: false, tokens: 0.5 })).toBe(5);
    expect(retryAfterSeconds(bucketPolicyOf(1), { allowed: false, tokens: 0.99 })).toBe(1);
  });

  it('is never less than one second', () => {
    expect(retryAfterSeconds(bucketPolicyOf(60_000), { allowed: false, tokens: 0.999 })).toBe(1);
  });
});

describe('the request rate of a response', () => {
  it('is what the bucket is short of full, read back from the RateLimit headers', () => {
    const policy = bucketPolicyOf(600);
    expect(requestRateOf(rateLimitHeaders(policy, { allowed: true, tokens: 596.4 }))).toEqual({ used: 4, limit: 600 });
    expect(requestRateOf(rateLimitHeaders(policy, { allowed: false, tokens: 0.2 }))).toEqual({ used: 600, limit: 600 });
  });

  it('is unknown when the store did not answer (no headers)', () => {
    expect(requestRateOf({})).toBeUndefined();
  });
});
