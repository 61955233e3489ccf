import { AppError } from '@bulkhead/errors';

/** The plans an organization can be on (DESIGN "Tenancy model"). */
export const PLANS = ['basic', 'professional', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** What a plan allows. */
export interface PlanLimits {
  readonly projects: number;
  readonly members: number;
  readonly workflows: number;
  readonly agents: number;
  readonly requestsPerMinute: number;
  readonly concurrentRuns: number;
  /** Bytes of knowledge-base document text the organization's agents store (UTF-8, as split into passages). */
  readonly storageBytes: number;
}

export type PlanLimit = keyof PlanLimits;

const MIB = 1024 * 1024;

/** Every plan's limits, enforced at write time (and the request rate at the gateway). */
export const PLAN_LIMITS: Readonly<Record<Plan, PlanLimits>> = {
  basic: { projects: 3, members: 5, workflows: 10, agents: 5, requestsPerMinute: 600, concurrentRuns: 2, storageBytes: 10 * MIB },
  professional: { projects: 50, members: 50, workflows: 200, agents: 50, requestsPerMinute: 6_000, concurrentRuns: 10, storageBytes: 1_024 * MIB },
  enterprise: { projects: 1_000, members: 1_000, workflows: 5_000, agents: 1_000, requestsPerMinute: 60_000, concurrentRuns: 50, storageBytes: 51_200 * MIB },
};

/** The plan a new organization starts on. */
export const DEFAULT_PLAN: Plan = 'basic';

export function isPlan(value: string): value is Plan {
  return (PLANS as readonly string[]).includes(value);
}

/** The limits of `plan`; an unknown plan gets the default plan's (the tightest). */
export function limitsOf(plan: string): PlanLimits {
  return PLAN_LIMITS[isPlan(plan) ? plan : DEFAULT_PLAN];
}

/**
 * Throws QUOTA_EXCEEDED (HTTP 402) naming the limit and the plan when adding `adding` more to
 * `used` would go past the plan's `limit`.
 */
export function requireWithinLimit(plan: string, limit: PlanLimit, used: number, adding = 1): void {
  const max = limitsOf(plan)[limit];
  if (used + adding <= max) return;
  throw new AppError({
    kind: 'QUOTA_EXCEEDED',
    code: 'PLAN_LIMIT_REACHED',
    message: `The ${plan} plan allows at most ${max} ${limit}; this organization has ${used}.`,
    details: { limit, plan, max: String(max), used: String(used) },
  });
}
