import { limitsOf, PLAN_LIMITS, PLANS, requireWithinLimit } from './index';

describe('plans', () => {
  it('gives every plan at least the limits of the plan below it', () => {
    for (let i = 1; i < PLANS.length; i += 1) {
      const lower = PLAN_LIMITS[PLANS[i - 1] as (typeof PLANS)[number]];
      const higher = PLAN_LIMITS[PLANS[i] as (typeof PLANS)[number]];
      for (const limit of Object.keys(lower) as (keyof typeof lower)[]) expect(higher[limit]).toBeGreaterThanOrEqual(lower[limit]);
    }
  });

  it('allows up to the limit and answers QUOTA_EXCEEDED naming the limit and the plan past it', () => {
    const max = PLAN_LIMITS.basic.projects;
    expect(() => requireWithinLimit('basic', 'projects', max - 1)).not.toThrow();
    expect(() => requireWithinLimit('basic', 'projects', max)).toThrow(
      expect.objectContaining({ kind: 'QUOTA_EXCEEDED', code: 'PLAN_LIMIT_REACHED', details: { limit: 'projects', plan: 'basic', max: String(max), used: String(max) } }),
    );
  });

  it('treats an unknown plan as the default (tightest) plan', () => {
    expect(limitsOf('platinum')).toEqual(PLAN_LIMITS.basic);
  });
});
