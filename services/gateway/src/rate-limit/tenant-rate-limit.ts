import { AppError } from '@bulkhead/errors';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import type { Logger, Registry } from '@bulkhead/observability';
import { DEFAULT_PLAN, type Plan } from '@bulkhead/permissions';
import { tenantKey } from '@bulkhead/tenant-cache';
import { Counter } from 'prom-client';
import type { CallerGuard } from '../authentication/authentication.hooks';
import type { AuthenticatedCaller } from '../authentication/request-authenticator';
import { setRequestPlan } from '../http/request-metrics';
import { upstreamCallOptions } from '../upstream/upstream-call';
import { bucketPoliciesOf, rateLimitHeaders, retryAfterSeconds, type BucketState, type RequestsPerMinuteByPlan } from './rate-limit.policy';
import type { TokenBucket } from './redis-token-bucket';
import type { GatewayAudit } from '../audit-events/gateway-audit';
import { PLAN_CACHE_KEY, type TenantPlans } from './tenant-plans';

/** What {@link createTenantRateLimiter} is built from. */
export interface TenantRateLimitDependencies {
  bucket: TokenBucket;
  plans: TenantPlans;
  requestsPerMinute: RequestsPerMinuteByPlan;
  logger: Logger;
  registry: Registry;
  /** Told of every refusal (it samples them into the audit log); absent, refusals are only counted. */
  audit?: Pick<GatewayAudit, 'rateLimited'> | undefined;
}

/** The outcome of one call against its tenant's bucket. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly plan: Plan;
  /** The plan's requests per minute (the bucket's capacity). */
  readonly requestsPerMinute: number;
  /** `ratelimit-limit`, `-remaining`, `-reset`, `-policy` (lowercase); empty when the store did not answer. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whole seconds until a token is back; set when refused. */
  readonly retryAfterSeconds?: number;
}

/**
 * The per-tenant request rate limit, independent of the transport (REST guard, gRPC edge):
 * one token bucket per organization (`bh:{<tenantId>}:ratelimit`) sized by its plan. Redis not
 * answering lets the call through (fail open): a rate limiter must not turn a cache outage into a
 * platform outage; the warning and `bulkhead_gateway_rate_limit_unavailable_total` make it
 * visible. Refusals are counted in `bulkhead_gateway_rate_limited_total{plan}`.
 */
export interface TenantRateLimiter {
  /** Takes one token from the caller's organization's bucket; never rejects for a store failure. */
  take(caller: AuthenticatedCaller, callOptions: ClientCallOptions): Promise<RateLimitDecision>;
}

/** The {@link TenantRateLimiter} on `deps.bucket`; create one per process (it registers the metrics). */
export function createTenantRateLimiter(deps: TenantRateLimitDependencies): TenantRateLimiter {
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

  return {
    async take(caller, callOptions) {
      const { tenantId } = caller.principal;
      const key = tenantKey(tenantId, 'ratelimit');
      let plan: Plan;
      let state: BucketState;
      try {
        // The plan cached in Redis is read by the bucket's own script: one round trip. Only when
        // none is cached is it loaded (from the org service) and the bucket stepped after.
        const taken = await deps.bucket.takeUnderCachedPlan(key, tenantKey(tenantId, ...PLAN_CACHE_KEY), policies, DEFAULT_PLAN);
        if (taken === undefined) {
          plan = await deps.plans.planOf(tenantId, callOptions);
          state = await deps.bucket.take(key, policies[plan]);
        } else {
          ({ plan, state } = taken);
        }
      } catch (err) {
        unavailable.inc();
        deps.logger.warn({ err, tenantId, requestId: callOptions.requestId }, 'rate limit store unavailable; request let through');
        plan = await deps.plans.planOf(tenantId, callOptions);
        return { allowed: true, plan, requestsPerMinute: policies[plan].capacity, headers: {} };
      }
      const policy = policies[plan];
      const headers = rateLimitHeaders(policy, state);
      if (state.allowed) return { allowed: true, plan, requestsPerMinute: policy.capacity, headers };
      refused.inc({ plan });
      deps.audit?.rateLimited(caller, { callOptions, plan, requestsPerMinute: policy.capacity });
      return { allowed: false, plan, requestsPerMinute: policy.capacity, headers, retryAfterSeconds: retryAfterSeconds(policy, state) };
    },
  };
}

/**
 * The error of a refused call: `RATE_LIMITED` (429 on REST, RESOURCE_EXHAUSTED on gRPC) with
 * `retryAfterSeconds`, `plan` and `limit: "requestsPerMinute"` in its details.
 */
export function rateLimitedError(decision: RateLimitDecision): AppError {
  const retryAfter = decision.retryAfterSeconds ?? 1;
  return new AppError({
    kind: 'RATE_LIMITED',
    code: 'RATE_LIMITED',
    message: `The organization's ${decision.plan} plan allows ${decision.requestsPerMinute} requests per minute. Try again in ${retryAfter} seconds.`,
    details: { retryAfterSeconds: String(retryAfter), plan: decision.plan, limit: 'requestsPerMinute' },
  });
}

/**
 * The REST side of `limiter`: every authenticated route's response carries the `RateLimit-*`
 * headers, 429 `RATE_LIMITED` with `Retry-After` once the bucket is empty.
 */
export function createRateLimitGuard(limiter: TenantRateLimiter): CallerGuard {
  return async (caller, request, reply) => {
    const decision = await limiter.take(caller, upstreamCallOptions(request, caller.accessToken));
    setRequestPlan(request, decision.plan);
    reply.headers(decision.headers);
    if (!decision.allowed) throw rateLimitedError(decision);
  };
}
