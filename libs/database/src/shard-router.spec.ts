import { randomUUID } from 'node:crypto';
import type { ShardMap } from '@bulkhead/config';
import { AppError } from '@bulkhead/errors';
import { jumpConsistentHash, tenantHash64 } from './jump-hash';
import { createShardRouter } from './shard-router';
import { createInMemoryPlacementSource } from './testing/in-memory-placement-source';

const shardMap = (count: number): ShardMap =>
  Array.from({ length: count }, (_, i) => ({ id: `shard-${i}`, url: `postgres://db-${i}.invalid:5432/bulkhead` }));

describe('tenantHash64', () => {
  it('is the first 8 bytes of the SHA-256 of the lowercase UUID text', () => {
    // sha256("00000000-0000-0000-0000-000000000000") starts 12b9377cbe7e5c94
    expect(tenantHash64('00000000-0000-0000-0000-000000000000')).toBe(0x12b9377cbe7e5c94n);
  });

  it('ignores case', () => {
    const id = randomUUID();
    expect(tenantHash64(id.toUpperCase())).toBe(tenantHash64(id));
  });
});

describe('jumpConsistentHash', () => {
  it('matches the reference implementation', () => {
    // Expected values from the paper's C++ code, transcribed to Python with 64-bit wrap-around.
    expect(jumpConsistentHash(0n, 1)).toBe(0);
    expect(jumpConsistentHash(1n, 10)).toBe(6);
    expect(jumpConsistentHash(0xdeadbeefn, 100)).toBe(87);
    expect(jumpConsistentHash(256n, 1024)).toBe(520);
  });

  it('rejects a bucket count below one', () => {
    expect(() => jumpConsistentHash(1n, 0)).toThrow(RangeError);
  });
});

describe('createShardRouter', () => {
  const tenants = Array.from({ length: 100_000 }, () => randomUUID());
  const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];

  it('sends the same tenant to the same shard every time', async () => {
    const router = createShardRouter({ shards: shardMap(4), placements: createInMemoryPlacementSource() });
    const other = createShardRouter({ shards: shardMap(4), placements: createInMemoryPlacementSource() });
    for (const tenantId of tenants.slice(0, 100)) {
      const first = await router.shardFor(tenantId);
      expect(await router.shardFor(tenantId)).toEqual(first);
      expect(await other.shardFor(tenantId.toUpperCase())).toEqual(first);
    }
  });

  it('spreads 100 000 tenants over 4 shards within 5% of even', () => {
    const counts = new Map<number, number>();
    for (const tenantId of tenants) {
      const bucket = jumpConsistentHash(tenantHash64(tenantId), 4);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThanOrEqual(25_000 * 0.95);
      expect(count).toBeLessThanOrEqual(25_000 * 1.05);
    }
  });

  it('moves about 1/5 of 100 000 tenants when growing from 4 to 5 shards, all onto the new shard', async () => {
    const four = createShardRouter({ shards: shardMap(4), placements: createInMemoryPlacementSource() });
    const five = createShardRouter({ shards: shardMap(5), placements: createInMemoryPlacementSource() });
    let moved = 0;
    const destinations = new Set<string>();
    for (const tenantId of tenants) {
      const [before, after] = await Promise.all([four.shardFor(tenantId), five.shardFor(tenantId)]);
      if (before.id !== after.id) {
        moved += 1;
        destinations.add(after.id);
      }
    }
    expect([...destinations]).toEqual(['shard-4']);
    expect(moved / tenants.length).toBeGreaterThanOrEqual(0.18);
    expect(moved / tenants.length).toBeLessThanOrEqual(0.22);
  });

  it('lets a placement override win over the hash, once the cache is invalidated', async () => {
    const placements = createInMemoryPlacementSource();
    const router = createShardRouter({ shards: shardMap(4), placements });
    const tenantId = first;
    const hashed = await router.shardFor(tenantId);
    const target = hashed.id === 'shard-3' ? 'shard-0' : 'shard-3';

    placements.pin(tenantId, target);
    expect((await router.shardFor(tenantId)).id).toBe(hashed.id);
    placements.invalidate(tenantId);
    expect((await router.shardFor(tenantId)).id).toBe(target);
  });

  it('seeds overrides and rejects one naming an unknown shard', async () => {
    const [pinned, stray] = [second, third];
    const placements = createInMemoryPlacementSource({ [pinned]: 'shard-2', [stray]: 'shard-9' });
    const router = createShardRouter({ shards: shardMap(4), placements });
    expect((await router.shardFor(pinned)).id).toBe('shard-2');
    await expect(router.shardFor(stray)).rejects.toMatchObject({ kind: 'INTERNAL', code: 'SHARD_PLACEMENT_UNKNOWN' });
  });

  it('rejects a tenant id that is not a UUID with INVALID_ARGUMENT', async () => {
    const router = createShardRouter({ shards: shardMap(4), placements: createInMemoryPlacementSource() });
    const failure = router.shardFor('not-a-uuid');
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT' });
  });
});
