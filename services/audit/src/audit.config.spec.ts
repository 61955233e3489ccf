import { loadConfig } from '@bulkhead/config';
import { auditConfigShape } from './audit.config';

const required = {
  AUDIT_DATABASE_URL: 'postgres://app@db/audit',
  KAFKA_BROKERS: 'k1:9092, k2:9092',
  SHARD_MAP: '[{"id":"shard-0","url":"postgres://db0/shard_0"}]',
  IDENTITY_DATABASE_URL: 'postgres://app@db/identity',
  AUTH_GRPC_ADDRESS: 'auth:50051',
  REDIS_URL: 'redis://redis:6379',
  RELAY_DATABASE_PASSWORD: 'relay-pw',
};

describe('audit config', () => {
  it('splits the broker list and defaults the topics, group and client id', () => {
    const config = loadConfig(auditConfigShape, required);
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9092']);
    expect(config).toMatchObject({
      KAFKA_CLIENT_ID: 'bulkhead-audit',
      AUDIT_TOPIC: 'audit.events',
      AUDIT_DLQ_TOPIC: 'audit.events.dlq',
      AUDIT_CONSUMER_GROUP: 'bulkhead-audit-log',
      AUDIT_TOPIC_REPLICATION_FACTOR: 1,
      AUDIT_EXPORT_BATCH_SIZE: 500,
    });
  });

  it('runs the outbox relay by default, in batches of 500 polled every 100 ms, and can turn it off', () => {
    expect(loadConfig(auditConfigShape, required)).toMatchObject({ RELAY_ENABLED: true, RELAY_BATCH_SIZE: 500, RELAY_POLL_INTERVAL_MS: 100 });
    expect(loadConfig(auditConfigShape, { ...required, RELAY_ENABLED: 'false' }).RELAY_ENABLED).toBe(false);
  });

  it("logs the relay in as its own role, whose password it requires", () => {
    expect(loadConfig(auditConfigShape, required).RELAY_DATABASE_USER).toBe('bulkhead_audit_relay');
    const { RELAY_DATABASE_PASSWORD: _omitted, ...withoutPassword } = required;
    expect(() => loadConfig(auditConfigShape, withoutPassword)).toThrow(/RELAY_DATABASE_PASSWORD/);
  });

  it('names a missing database URL and an empty broker list', () => {
    expect(() => loadConfig(auditConfigShape, { KAFKA_BROKERS: ' , ' })).toThrow(/AUDIT_DATABASE_URL[\s\S]*KAFKA_BROKERS|KAFKA_BROKERS[\s\S]*AUDIT_DATABASE_URL/);
  });
});
