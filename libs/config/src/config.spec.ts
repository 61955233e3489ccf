import { ConfigError, envFields, loadConfig, serviceConfigShape, shardMapField, withShardCredentials } from './index';

const shape = {
  SHARD_MAP: shardMapField(),
  SHARD_POOL_MAX: envFields.positiveInt().default(10),
  REDIS_URL: envFields.url(['redis', 'rediss']),
  KAFKA_BROKERS: envFields.list(),
  GRPC_PORT: envFields.port().default(50051),
  TRACING_ENABLED: envFields.boolean().default(false),
  LOG_LEVEL: envFields.oneOf(['debug', 'info', 'warn', 'error']).default('info'),
};

const validEnv = {
  SHARD_MAP: JSON.stringify([
    { id: 'shard-0', url: 'postgres://app:pw@127.0.0.1:55432/bulkhead_shard_0' },
    { id: 'shard-1', url: 'postgres://127.0.0.1:55433/bulkhead_shard_1' },
  ]),
  REDIS_URL: 'redis://127.0.0.1:56379',
  KAFKA_BROKERS: '127.0.0.1:59092, 127.0.0.1:59094',
};

function issuesOf(env: Record<string, string | undefined>): Record<string, string> {
  try {
    loadConfig(shape, env);
  } catch (err) {
    if (err instanceof ConfigError) return Object.fromEntries(err.issues.map((i) => [i.variable, i.problem]));
    throw err;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('parses a valid environment into typed values with defaults', () => {
    const config = loadConfig(shape, { ...validEnv, TRACING_ENABLED: '1' });
    expect(config.SHARD_MAP.map((s) => s.id)).toEqual(['shard-0', 'shard-1']);
    expect(config.SHARD_POOL_MAX).toBe(10);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:59092', '127.0.0.1:59094']);
    expect(config.GRPC_PORT).toBe(50051);
    expect(config.TRACING_ENABLED).toBe(true);
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(shape, { ...validEnv, SHARD_POOL_MAX: '' }).SHARD_POOL_MAX).toBe(10);
  });

  it('names every missing variable at once', () => {
    expect(issuesOf({})).toEqual({
      SHARD_MAP: 'is required',
      REDIS_URL: 'is required',
      KAFKA_BROKERS: 'is required',
    });
  });

  it('names a shard URL that is not a URL, and where it is', () => {
    const issues = issuesOf({ ...validEnv, SHARD_MAP: JSON.stringify([{ id: 'shard-0', url: 'not a url' }]) });
    expect(issues).toEqual({ SHARD_MAP: 'must be a postgres or postgresql:// URL (at 0.url)' });
  });

  it('names a negative pool size', () => {
    expect(issuesOf({ ...validEnv, SHARD_POOL_MAX: '-3' })).toEqual({ SHARD_POOL_MAX: 'must be at least 1' });
  });

  it('refuses malformed JSON, duplicate shard ids and a wrong scheme', () => {
    expect(issuesOf({ ...validEnv, SHARD_MAP: '[{' })).toEqual({ SHARD_MAP: 'must be valid JSON' });
    const dup = JSON.stringify([
      { id: 'a', url: 'postgres://h/a' },
      { id: 'a', url: 'postgres://h/b' },
    ]);
    expect(issuesOf({ ...validEnv, SHARD_MAP: dup })).toEqual({ SHARD_MAP: 'duplicate shard id "a" (at 1.id)' });
    expect(issuesOf({ ...validEnv, REDIS_URL: 'http://127.0.0.1:6379' })).toEqual({
      REDIS_URL: 'must be a redis or rediss:// URL',
    });
  });

  it('refuses out-of-range ports and unknown enum values', () => {
    expect(issuesOf({ ...validEnv, GRPC_PORT: '70000', LOG_LEVEL: 'loud', SHARD_POOL_MAX: 'ten' })).toEqual({
      SHARD_POOL_MAX: 'must be a number',
      GRPC_PORT: 'must be 0 to 65535',
      LOG_LEVEL: 'must be one of debug, info, warn, error',
    });
  });
});

describe('withShardCredentials', () => {
  it('fills in credentials only where the URL has none', () => {
    const shards = loadConfig(shape, validEnv).SHARD_MAP;
    const resolved = withShardCredentials(shards, { user: 'bulkhead_app', password: 'p@ss word' });
    expect(resolved[0]?.url).toBe('postgres://app:pw@127.0.0.1:55432/bulkhead_shard_0');
    expect(new URL(resolved[1]?.url ?? '').username).toBe('bulkhead_app');
    expect(decodeURIComponent(new URL(resolved[1]?.url ?? '').password)).toBe('p@ss word');
  });
});

describe('serviceConfigShape', () => {
  it('gives every service the documented defaults', () => {
    expect(loadConfig(serviceConfigShape, {})).toEqual({
      GRPC_PORT: 50051,
      METRICS_PORT: 9464,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: 10_000,
      LOOP_RESTART_INITIAL_MS: 200,
      LOOP_RESTART_MAX_MS: 30_000,
      LOOP_DOWN_LIVENESS_MS: 600_000,
    });
  });

  it('names a loop restart backoff or liveness bound that is not a positive integer', () => {
    expect(() => loadConfig(serviceConfigShape, { LOOP_RESTART_INITIAL_MS: '0', LOOP_DOWN_LIVENESS_MS: '10s' })).toThrow(
      /LOOP_RESTART_INITIAL_MS: .*\n.*LOOP_DOWN_LIVENESS_MS: /s,
    );
  });

  it('names a tracing endpoint that is not an http URL', () => {
    expect(() => loadConfig(serviceConfigShape, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' })).toThrow(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be a http or https:// URL',
    );
  });
});
