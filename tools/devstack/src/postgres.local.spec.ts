import { POSTGRES_LAYOUT, renderServerConf } from './postgres.local';

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
