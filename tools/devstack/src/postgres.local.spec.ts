import { POSTGRES_LAYOUT, abandonedClusters, clusterName, renderServerConf } from './postgres.local';

describe('renderServerConf', () => {
  it('quotes every value, so addresses parse, and listens on loopback only', () => {
    const lines = renderServerConf().trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^[a-z_]+ = '[^']*'$/);
    expect(lines).toContain("listen_addresses = '127.0.0.1'");
  });
});

describe('POSTGRES_LAYOUT', () => {
  it('puts two shards and one global database on each of two servers', () => {
    expect(POSTGRES_LAYOUT.map((s) => [s.server, s.databases])).toEqual([
      ['pg-a', ['bulkhead_shard_0', 'bulkhead_shard_1', 'bulkhead_identity']],
      ['pg-b', ['bulkhead_shard_2', 'bulkhead_shard_3', 'bulkhead_audit']],
    ]);
  });
});

describe('abandonedClusters', () => {
  const ids: Record<string, string> = { '/ws/.devstack': '0a1b2c3d', '/recloned/.devstack': 'ffffffff' };
  const idIn = (stateDir: string): string | undefined => ids[stateDir];

  it('picks the devstack clusters whose state directory no longer holds their id, or that record none', () => {
    const live = clusterName('0a1b2c3d', 'pg-a');
    const gone = clusterName('12345678', 'pg-b');
    const recloned = clusterName('eeeeeeee', 'pg-a');
    const half = clusterName('0a1b2c3d', 'pg-b');
    const clusters = [
      { cluster: live, stateDir: '/ws/.devstack' },
      { cluster: gone, stateDir: '/deleted/.devstack' },
      { cluster: recloned, stateDir: '/recloned/.devstack' },
      { cluster: half, stateDir: undefined },
      { cluster: 'bulkhead-a', stateDir: undefined },
      { cluster: 'main', stateDir: undefined },
      { cluster: 'bulkhead_custom', stateDir: '/deleted' },
    ];
    expect(abandonedClusters(clusters, idIn)).toEqual([gone, recloned, half, 'bulkhead-a']);
  });

  it('names clusters that the pattern recognises', () => {
    expect(clusterName('0a1b2c3d', 'pg-b')).toBe('bulkhead_0a1b2c3d_pg_b');
  });
});
