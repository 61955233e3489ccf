import type { DevstackEnv } from '@bulkhead/testkit';
import { localPorts, serviceEnvironment } from './platform';

const env: DevstackEnv = {
  version: 1,
  modes: { postgres: 'local', redis: 'local', kafka: 'local' },
  postgresServers: [{ id: 'pg-a' }],
  shards: [{ id: 'shard-0', server: 'pg-a', url: 'postgres://a@h:1/s0', ownerUrl: 'postgres://o@h:1/s0' }],
  identityDatabase: { server: 'pg-a', url: 'postgres://a@h:1/id', ownerUrl: 'postgres://o@h:1/id' },
  auditDatabase: { server: 'pg-a', url: 'postgres://a@h:1/au', ownerUrl: 'postgres://o@h:1/au' },
  redisUrl: 'redis://h:2',
  kafkaBrokers: ['h:3'],
  controls: {},
};

describe('platform', () => {
  it('gives every service distinct gRPC and metrics ports', () => {
    const ports = ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'].map(localPorts);
    expect(new Set(ports.map((p) => p.grpcPort)).size).toBe(7);
    expect(new Set(ports.map((p) => p.metricsPort)).size).toBe(7);
    expect(() => localPorts('billing')).toThrow(/unknown service "billing"/);
  });

  it('tells each service its own ports, the devstack settings and where its peers listen', () => {
    const vars = serviceEnvironment(env, 'gateway', ['auth', 'gateway']);
    expect(vars).toMatchObject({
      GRPC_PORT: String(localPorts('gateway').grpcPort),
      METRICS_PORT: String(localPorts('gateway').metricsPort),
      HTTP_PORT: '8080',
      AUTH_GRPC_ADDRESS: `127.0.0.1:${localPorts('auth').grpcPort}`,
      REDIS_URL: 'redis://h:2',
      KAFKA_BROKERS: 'h:3',
    });
    expect(JSON.parse(vars['SHARD_MAP'] ?? '')).toEqual([{ id: 'shard-0', url: 'postgres://a@h:1/s0' }]);
  });

  it('tells a sharded service where placements live and where auth, org and project listen', () => {
    const vars = serviceEnvironment(env, 'project', ['auth', 'org', 'project', 'gateway']);
    expect(vars).toMatchObject({
      PLACEMENT_DATABASE_URL: 'postgres://a@h:1/id',
      AUTH_GRPC_ADDRESS: `127.0.0.1:${localPorts('auth').grpcPort}`,
      ORG_GRPC_ADDRESS: `127.0.0.1:${localPorts('org').grpcPort}`,
      PROJECT_GRPC_ADDRESS: `127.0.0.1:${localPorts('project').grpcPort}`,
    });
  });
});
