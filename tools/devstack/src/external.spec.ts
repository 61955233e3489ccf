import { ConfigError } from '@bulkhead/config';
import { externalKafka, externalPostgres, externalRedis } from './external';

const shardMap = (user: string): string =>
  JSON.stringify([
    { id: 'shard-0', url: `postgres://${user}@db1:5432/s0` },
    { id: 'shard-1', url: `postgres://${user}@db2:5432/s1` },
  ]);

const givenPostgres = {
  SHARD_MAP: shardMap('app'),
  SHARD_OWNER_MAP: shardMap('owner'),
  IDENTITY_DATABASE_URL: 'postgres://app@db3:5432/identity',
  IDENTITY_DATABASE_OWNER_URL: 'postgres://owner@db3:5432/identity',
  AUDIT_DATABASE_URL: 'postgres://app@db1:5432/audit',
  AUDIT_DATABASE_OWNER_URL: 'postgres://owner@db1:5432/audit',
  PLACEMENT_DATABASE_URL: 'postgres://placement@db3:5432/identity',
  RELAY_DATABASE_USER: 'relay',
  RELAY_DATABASE_PASSWORD: 'relay-pw',
};

describe('externalPostgres', () => {
  it('is not used without SHARD_MAP (or with a blank one)', () => {
    expect(externalPostgres({})).toBeUndefined();
    expect(externalPostgres({ SHARD_MAP: ' ' })).toBeUndefined();
  });

  it('takes the shard map in order, with owner URLs, and names servers by host:port', () => {
    const pg = externalPostgres(givenPostgres);
    expect(pg?.shards).toEqual([
      { id: 'shard-0', server: 'db1:5432', url: 'postgres://app@db1:5432/s0', ownerUrl: 'postgres://owner@db1:5432/s0' },
      { id: 'shard-1', server: 'db2:5432', url: 'postgres://app@db2:5432/s1', ownerUrl: 'postgres://owner@db2:5432/s1' },
    ]);
    expect(pg?.postgresServers).toEqual([{ id: 'db1:5432' }, { id: 'db2:5432' }, { id: 'db3:5432' }]);
    expect(pg?.identityDatabase.server).toBe('db3:5432');
    expect(pg?.auditRelay).toEqual({ user: 'relay', password: 'relay-pw' });
    expect(pg?.placementDatabaseUrl).toBe('postgres://placement@db3:5432/identity');
  });

  it('refuses a half-given setup, naming each missing variable', () => {
    const attempt = (): unknown => externalPostgres({ SHARD_MAP: givenPostgres.SHARD_MAP });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SHARD_OWNER_MAP[\s\S]*IDENTITY_DATABASE_URL[\s\S]*RELAY_DATABASE_PASSWORD/);
  });
});

describe('externalRedis / externalKafka', () => {
  it('take REDIS_URL and the KAFKA_BROKERS list when given', () => {
    expect(externalRedis({ REDIS_URL: 'redis://cache:6379' })).toBe('redis://cache:6379');
    expect(externalKafka({ KAFKA_BROKERS: 'k1:9092, k2:9092' })).toEqual(['k1:9092', 'k2:9092']);
  });

  it('are not used when unset or blank', () => {
    expect(externalRedis({ REDIS_URL: '' })).toBeUndefined();
    expect(externalKafka({})).toBeUndefined();
  });

  it('refuse a REDIS_URL that is no redis:// URL', () => {
    expect(() => externalRedis({ REDIS_URL: 'http://cache' })).toThrow(/REDIS_URL/);
  });
});
