import { AppError } from '@bulkhead/errors';
import type { Logger, Registry } from '@bulkhead/observability';
import { tenantKey } from '@bulkhead/tenant-cache';
import { Counter } from 'prom-client';
import type { CallerGuard } from '../authentication/authentication.hooks';
import { upstreamCallOptions } from '../upstream/upstream-call';
import { bucketPoliciesOf, rateLimitHeaders, retryAfterSeconds, type RequestsPerMinuteByPlan } from './rate-limit.policy';
import type { TokenBucket } from './redis-token-bucket';
import type { TenantPlans } from './tenant-plans';

/** What {@link createTenantRateLimit} is built from. */
export interface TenantRateLimitDependencies {
  bucket: TokenBucket;
  plans: TenantPlans;
  requestsPerMinute: RequestsPerMinuteByPlan;
  logger: Logger;
  registry: Registry;
}

/**
 * The per-tenant request rate limit of every authenticated route: one token bucket per
 * organization (`bh:{<tenantId>}:ratelimit`) sized by its plan, every response carrying the
 * `RateLimit-*` headers, and 429 `RATE_LIMITED` with `Retry-After` once the bucket is empty.
 * Redis not answering lets the request through (fail open): a rate limiter must not turn a
 * cache outage into a platform outage; the warning and
 * `bulkhead_gateway_rate_limit_unavailable_total` make it visible.
 */
export function createTenantRateLimit(deps: TenantRateLimitDependencies): CallerGuard {
  const policies = bucketPoliciesOf(deps.requestsPerMinute);
  const refused = new Counter({
    name: 'bulkhead_gateway_rate_limited_total',
    help: 'Requests refused with 429 because the tenant used up its plan rate limit, by plan.',
    labelNames: ['plan'] as const,
    registers: [deps.registry],
  });
  const unavailable = new Counter({
    name: 'bulkhead_gateway_rate_limit_unavailable_total',
    help: 'Requests let through unlimited because the rate limit store (Redis) did not answer.',
    registers: [deps.registry],
  });

  return async (caller, request, reply) => {
    const { tenantId } = caller.principal;
    const plan = await deps.plans.planOf(tenantId, upstreamCallOptions(request, caller.accessToken));
    const policy = policies[plan];
    let state;
    try {
      state = await deps.bucket.take(tenantKey(tenantId, 'ratelimit'), policy);
    } catch (err) {
      unavailable.inc();
      deps.logger.warn({ err, tenantId, requestId: request.id }, 'rate limit store unavailable; request let through');
      return;
    }
    reply.headers(rateLimitHeaders(policy, state));
    if (state.allowed) return;
    refused.inc({ plan });
    const retryAfter = retryAfterSeconds(policy, state);
    throw new AppError({
      kind: 'RATE_LIMITED',
      code: 'RATE_LIMITED',
      message: `The organization's ${plan} plan allows ${policy.capacity} requests per minute. Try again in ${retryAfter} seconds.`,
      details: { retryAfterSeconds: String(retryAfter), plan, limit: 'requestsPerMinute' },
    });
  };
}
