import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDevstackEnv, stopComponent, toServiceEnvironment, type DevstackEnv } from './index';

const sample: DevstackEnv = {
  version: 1,
  modes: { postgres: 'local', redis: 'local', kafka: 'local' },
  postgresServers: [{ id: 'pg-a', superuserUrl: 'postgres://postgres:pw@127.0.0.1:55432/postgres' }],
  shards: [
    { id: 'shard-0', server: 'pg-a', url: 'postgres://app:a@127.0.0.1:55432/s0', ownerUrl: 'postgres://own:o@127.0.0.1:55432/s0' },
    { id: 'shard-1', server: 'pg-a', url: 'postgres://app:a@127.0.0.1:55432/s1', ownerUrl: 'postgres://own:o@127.0.0.1:55432/s1' },
  ],
  identityDatabase: { server: 'pg-a', url: 'postgres://app:a@127.0.0.1:55432/id', ownerUrl: 'postgres://own:o@127.0.0.1:55432/id' },
  auditDatabase: { server: 'pg-a', url: 'postgres://app:a@127.0.0.1:55432/au', ownerUrl: 'postgres://own:o@127.0.0.1:55432/au' },
  redisUrl: 'redis://127.0.0.1:56379',
  kafkaBrokers: ['127.0.0.1:59092'],
  controls: {},
};

function writeEnv(content: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'testkit-')), 'env.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('loadDevstackEnv', () => {
  it('says which command to run when the devstack never ran', () => {
    expect(() => loadDevstackEnv('/nonexistent/env.json')).toThrow('run `npm run devstack -- up` first');
  });

  it('names the invalid field', () => {
    expect(() => loadDevstackEnv(writeEnv({ ...sample, kafkaBrokers: ['localhost'] }))).toThrow(
      /invalid at kafkaBrokers.0: must be host:port/,
    );
  });

  it('reads a valid file', () => {
    expect(loadDevstackEnv(writeEnv(sample)).shards.map((s) => s.id)).toEqual(['shard-0', 'shard-1']);
  });
});

describe('toServiceEnvironment', () => {
  it('gives services their variables with the shard map in order', () => {
    const env = toServiceEnvironment(sample);
    expect(JSON.parse(env['SHARD_MAP'] ?? '')).toEqual([
      { id: 'shard-0', url: 'postgres://app:a@127.0.0.1:55432/s0' },
      { id: 'shard-1', url: 'postgres://app:a@127.0.0.1:55432/s1' },
    ]);
    expect(JSON.parse(env['SHARD_OWNER_MAP'] ?? '')[1].url).toBe('postgres://own:o@127.0.0.1:55432/s1');
    expect(env['KAFKA_BROKERS']).toBe('127.0.0.1:59092');
    expect(env['REDIS_URL']).toBe('redis://127.0.0.1:56379');
  });
});

describe('stopComponent', () => {
  it('refuses a component the devstack does not manage', () => {
    expect(() => stopComponent(sample, 'kafka')).toThrow('component "kafka" is not managed by this devstack (managed: none)');
  });
});
