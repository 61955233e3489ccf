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

describe('clusterName', () => {
  it('names the two servers of one state directory alike, and another state directory differently', () => {
    expect(clusterName('/ws/.devstack', 'pg-a')).toMatch(/^bulkhead_[0-9a-f]{8}_pg_a$/);
    expect(clusterName('/ws/.devstack', 'pg-b')).toBe(clusterName('/ws/.devstack', 'pg-a').replace(/_a$/, '_b'));
    expect(clusterName('/clone/.devstack', 'pg-a')).not.toBe(clusterName('/ws/.devstack', 'pg-a'));
  });
});

describe('abandonedClusters', () => {
  const exists = (dir: string): boolean => dir === '/ws/.devstack';

  it('picks devstack clusters whose state directory is gone or unrecorded, and nothing else', () => {
    const live = clusterName('/ws/.devstack', 'pg-a');
    const gone = clusterName('/deleted/.devstack', 'pg-b');
    const half = clusterName('/ws/.devstack', 'pg-b');
    const clusters = [
      { cluster: live, stateDir: '/ws/.devstack' },
      { cluster: gone, stateDir: '/deleted/.devstack' },
      { cluster: half, stateDir: undefined },
      { cluster: 'bulkhead-a', stateDir: undefined },
      { cluster: 'main', stateDir: undefined },
      { cluster: 'bulkhead_custom', stateDir: '/deleted' },
    ];
    expect(abandonedClusters(clusters, exists)).toEqual([gone, half, 'bulkhead-a']);
  });
});
