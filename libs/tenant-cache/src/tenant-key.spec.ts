import { tenantKey, tenantKeyPrefix } from './index';

const tenant = '0193a7c2-7d4e-7b1a-9c3f-5e2d1a0b9c8d';

describe('tenantKey', () => {
  it('puts the tenant in a hash tag before the parts', () => {
    expect(tenantKey(tenant, 'org', 'plan')).toBe(`bh:{${tenant}}:org:plan`);
    expect(tenantKey(tenant.toUpperCase(), 'org')).toBe(`bh:{${tenant}}:org`);
    expect(tenantKeyPrefix(tenant)).toBe(`bh:{${tenant}}:`);
  });

  it('refuses a tenant id that is not a UUID, so no key can escape its tenant', () => {
    expect(() => tenantKey('*', 'org')).toThrow('must be a UUID');
    expect(() => tenantKey(`${tenant}}:x`, 'org')).toThrow('must be a UUID');
  });

  it('refuses empty parts and parts with glob or hash-tag characters', () => {
    expect(() => tenantKey(tenant)).toThrow('at least one part');
    for (const part of ['', 'a*', 'a?', '[a]', '{a}', 'a b']) expect(() => tenantKey(tenant, part)).toThrow(TypeError);
  });
});
