import { poolSizesOf } from './shard-pools';

const shard = (id: string, url: string) => ({ id, url });

describe('poolSizesOf', () => {
  it("splits a server's budget evenly among the shards it holds, its host and port naming it", () => {
    const sizes = poolSizesOf(
      [
        shard('shard-0', 'postgres://app@pg-a:5432/shard_0'),
        shard('shard-1', 'postgres://app@pg-a:5432/shard_1'),
        shard('shard-2', 'postgres://app@pg-b:5432/shard_2'),
        shard('shard-3', 'postgres://app@pg-b:5433/shard_3'),
      ],
      10,
    );
    expect(Object.fromEntries(sizes)).toEqual({ 'shard-0': 5, 'shard-1': 5, 'shard-2': 10, 'shard-3': 10 });
  });

  it('rounds down, so a process stays within the budget, and gives every shard at least one connection', () => {
    const onOneServer = (count: number) => Array.from({ length: count }, (_, i) => shard(`shard-${i}`, `postgres://pg:5432/shard_${i}`));
    expect([...poolSizesOf(onOneServer(3), 10).values()]).toEqual([3, 3, 3]);
    expect([...poolSizesOf(onOneServer(4), 1).values()]).toEqual([1, 1, 1, 1]);
  });

  it('counts a URL without a port as the default port 5432', () => {
    const sizes = poolSizesOf([shard('shard-0', 'postgres://pg/shard_0'), shard('shard-1', 'postgres://pg:5432/shard_1')], 8);
    expect([...sizes.values()]).toEqual([4, 4]);
  });
});
