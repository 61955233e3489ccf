import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { devstackEnvPath, devstackEnvSchema, loadDevstackEnv, startComponent, stopComponent, toServiceEnvironment, type DevstackEnv } from './index';

const pg = (user: string, db: string): string => `postgres://${user}:pw@127.0.0.1:55432/${db}`;

const sample: DevstackEnv = {
  version: 1,
  modes: { postgres: 'local', redis: 'local', kafka: 'local' },
  postgresServers: [{ id: 'pg-a', superuserUrl: pg('postgres', 'postgres') }, { id: 'pg-b' }],
  shards: [
    { id: 'shard-0', server: 'pg-a', url: pg('app', 's0'), ownerUrl: pg('own', 's0') },
    { id: 'shard-1', server: 'pg-b', url: pg('app', 's1'), ownerUrl: pg('own', 's1') },
  ],
  identityDatabase: { server: 'pg-a', url: pg('app', 'id'), ownerUrl: pg('own', 'id') },
  auditDatabase: { server: 'pg-b', url: pg('app', 'au'), ownerUrl: pg('own', 'au') },
  redisUrl: 'redis://127.0.0.1:56379',
  kafkaBrokers: ['127.0.0.1:59092', '127.0.0.1:59094'],
  controls: {
    redis: { stop: [process.execPath, '-e', 'process.exit(0)'], start: [process.execPath, '-e', 'console.error("no redis here"); process.exit(3)'] },
  },
};

function writeEnv(content: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'testkit-')), 'env.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('devstackEnvSchema', () => {
  it('accepts the local layout', () => {
    expect(devstackEnvSchema.safeParse(sample).success).toBe(true);
  });

  it.each([
    ['an unknown mode', { modes: { ...sample.modes, kafka: 'cloud' } }, ['modes', 'kafka']],
    ['a shard URL without a database', { shards: [{ ...sample.shards[0], url: 'postgres://app@127.0.0.1:55432' }] }, ['shards', 0, 'url']],
    ['a duplicate shard id', { shards: [sample.shards[0], { ...sample.shards[1], id: 'shard-0' }] }, ['shards', 1, 'id']],
    ['a shard on an unlisted server', { shards: [{ ...sample.shards[0], server: 'pg-z' }] }, ['shards', 0, 'server']],
    ['an audit database on an unlisted server', { auditDatabase: { ...sample.auditDatabase, server: 'pg-z' } }, ['auditDatabase', 'server']],
    ['a Kafka broker without a port', { kafkaBrokers: ['localhost'] }, ['kafkaBrokers', 0]],
    ['a control without argv', { controls: { kafka: { start: [], stop: ['x'] } } }, ['controls', 'kafka', 'start']],
    ['another version', { version: 2 }, ['version']],
  ])('rejects %s', (_name, change, fieldPath) => {
    const result = devstackEnvSchema.safeParse({ ...sample, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toContainEqual(fieldPath);
  });
});

describe('loadDevstackEnv', () => {
  it('says which command to run when the devstack never ran', () => {
    expect(() => loadDevstackEnv({ file: '/nonexistent/env.json' })).toThrow(
      '/nonexistent/env.json does not exist: run `npm run devstack -- up` first',
    );
  });

  it('reads the file named by DEVSTACK_ENV_FILE', () => {
    const file = writeEnv(sample);
    expect(devstackEnvPath({ DEVSTACK_ENV_FILE: file })).toBe(file);
    expect(loadDevstackEnv({ env: { DEVSTACK_ENV_FILE: file } }).shards.map((s) => s.id)).toEqual(['shard-0', 'shard-1']);
  });

  it('defaults to .devstack/env.json in the workspace', () => {
    expect(devstackEnvPath({})).toBe(path.resolve(__dirname, '../../..', '.devstack', 'env.json'));
  });

  it('names the invalid field', () => {
    expect(() => loadDevstackEnv({ file: writeEnv({ ...sample, kafkaBrokers: ['localhost'] }) })).toThrow(
      /invalid at kafkaBrokers\.0: must be host:port/,
    );
  });

  it('names the file that is not JSON', () => {
    const file = writeEnv('{"version": 1,');
    expect(() => loadDevstackEnv({ file })).toThrow(`${file} is not valid JSON`);
  });
});

describe('toServiceEnvironment', () => {
  it('gives services exactly their variables, with the shard maps in order', () => {
    const env = toServiceEnvironment(sample);
    expect(Object.keys(env).sort()).toEqual([
      'AGENT_MASTER_KEY',
      'AUDIT_DATABASE_OWNER_URL',
      'AUDIT_DATABASE_URL',
      'IDENTITY_DATABASE_OWNER_URL',
      'IDENTITY_DATABASE_URL',
      'KAFKA_BROKERS',
      'PLACEMENT_DATABASE_URL',
      'REDIS_URL',
      'SHARD_MAP',
      'SHARD_OWNER_MAP',
      'SIGNING_KEY_ENCRYPTION_KEY',
      'WORKLOAD_KEY',
      'WORKLOAD_KEYS',
    ]);
    expect(Buffer.from(env['SIGNING_KEY_ENCRYPTION_KEY'] ?? '', 'base64')).toHaveLength(32);
    expect(Buffer.from(env['AGENT_MASTER_KEY'] ?? '', 'base64')).toHaveLength(32);
    expect(env['WORKLOAD_KEYS']).toBe(`workflow=${env['WORKLOAD_KEY']}`);
    expect(JSON.parse(env['SHARD_MAP'] ?? '')).toEqual([
      { id: 'shard-0', url: pg('app', 's0') },
      { id: 'shard-1', url: pg('app', 's1') },
    ]);
    expect(JSON.parse(env['SHARD_OWNER_MAP'] ?? '')).toEqual([
      { id: 'shard-0', url: pg('own', 's0') },
      { id: 'shard-1', url: pg('own', 's1') },
    ]);
    expect(env['IDENTITY_DATABASE_URL']).toBe(pg('app', 'id'));
    expect(env['IDENTITY_DATABASE_OWNER_URL']).toBe(pg('own', 'id'));
    expect(env['PLACEMENT_DATABASE_URL']).toBe(pg('app', 'id'));
    expect(env['AUDIT_DATABASE_URL']).toBe(pg('app', 'au'));
    expect(env['AUDIT_DATABASE_OWNER_URL']).toBe(pg('own', 'au'));
    expect(env['KAFKA_BROKERS']).toBe('127.0.0.1:59092,127.0.0.1:59094');
    expect(env['REDIS_URL']).toBe('redis://127.0.0.1:56379');
  });
});

describe('stopComponent / startComponent', () => {
  it('refuses a component the devstack does not manage', () => {
    expect(() => stopComponent(sample, 'kafka')).toThrow('component "kafka" is not managed by this devstack (managed: redis)');
  });

  it('runs the recorded argv', () => {
    expect(() => stopComponent(sample, 'redis')).not.toThrow();
  });

  it('says which control failed and why', () => {
    expect(() => startComponent(sample, 'redis')).toThrow(/^start redis failed: .*: no redis here$/);
  });
});
