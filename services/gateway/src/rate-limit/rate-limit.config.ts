import { envFields } from '@bulkhead/config';
import { PLAN_LIMITS } from '@bulkhead/permissions';
import type { RequestsPerMinuteByPlan } from './rate-limit.policy';

/**
 * Requests per minute per tenant, by plan. Each defaults to the plan's `requestsPerMinute`
 * (`PLAN_LIMITS`); an operator may lower or raise one for the whole platform.
 */
export const rateLimitConfigShape = {
  RATE_LIMIT_RPM_BASIC: envFields.positiveInt().default(PLAN_LIMITS.basic.requestsPerMinute),
  RATE_LIMIT_RPM_PROFESSIONAL: envFields.positiveInt().default(PLAN_LIMITS.professional.requestsPerMinute),
  RATE_LIMIT_RPM_ENTERPRISE: envFields.positiveInt().default(PLAN_LIMITS.enterprise.requestsPerMinute),
};

/** The configured limits, by plan. */
export function requestsPerMinuteOf(config: {
  RATE_LIMIT_RPM_BASIC: number;
  RATE_LIMIT_RPM_PROFESSIONAL: number;
  RATE_LIMIT_RPM_ENTERPRISE: number;
}): RequestsPerMinuteByPlan {
  return {
    basic: config.RATE_LIMIT_RPM_BASIC,
    professional: config.RATE_LIMIT_RPM_PROFESSIONAL,
    enterprise: config.RATE_LIMIT_RPM_ENTERPRISE,
  };
}
