import { createCachedPlacementSource } from './placement-source';

describe('createCachedPlacementSource', () => {
  it('asks the store once per tenant until invalidated', async () => {
    const asked: string[] = [];
    const source = createCachedPlacementSource(async (tenantId) => {
      asked.push(tenantId);
      return 'shard-1';
    });
    const tenantId = '6f1c8a52-6b1e-4c7e-9a39-2f0d3b1e9c11';
    await Promise.all([source.lookup(tenantId), source.lookup(tenantId.toUpperCase())]);
    expect(asked).toEqual([tenantId]);
    source.invalidate(tenantId);
    await expect(source.lookup(tenantId)).resolves.toBe('shard-1');
    expect(asked).toEqual([tenantId, tenantId]);
  });

  it('does not cache a failed lookup', async () => {
    let calls = 0;
    const source = createCachedPlacementSource(async () => {
      calls += 1;
      if (calls === 1) throw new Error('store down');
      return undefined;
    });
    const tenantId = '6f1c8a52-6b1e-4c7e-9a39-2f0d3b1e9c11';
    await expect(source.lookup(tenantId)).rejects.toThrow('store down');
    await expect(source.lookup(tenantId)).resolves.toBeUndefined();
  });
});

describe('createCachedPlacementSource with a TTL', () => {
  it('asks the store again once the answer is older than the TTL', async () => {
    let clock = 0;
    let calls = 0;
    const source = createCachedPlacementSource(
      async () => {
        calls += 1;
        return calls === 1 ? undefined : 'shard-3';
      },
      { ttlMs: 1000, now: () => clock },
    );
    const tenantId = '6f1c8a52-6b1e-4c7e-9a39-2f0d3b1e9c11';
    await expect(source.lookup(tenantId)).resolves.toBeUndefined();
    clock = 999;
    await expect(source.lookup(tenantId)).resolves.toBeUndefined();
    clock = 1000;
    await expect(source.lookup(tenantId)).resolves.toBe('shard-3');
    expect(calls).toBe(2);
  });
});
