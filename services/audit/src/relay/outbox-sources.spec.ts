import { loadConfig } from '@bulkhead/config';
import { auditConfigShape } from '../audit.config';
import { IDENTITY_SOURCE, outboxSources } from './outbox-sources';

describe('outboxSources', () => {
  it('reaches every shard and the identity database as the relay role, whatever credentials their URLs carry', () => {
    const config = loadConfig(auditConfigShape, {
      AUDIT_DATABASE_URL: 'postgres://app@db/audit',
      KAFKA_BROKERS: 'k1:9092',
      SHARD_MAP: JSON.stringify([
        { id: 'shard-0', url: 'postgres://bulkhead_app:app-pw@db0:5432/shard_0' },
        { id: 'shard-1', url: 'postgres://db1:5432/shard_1' },
      ]),
      IDENTITY_DATABASE_URL: 'postgres://bulkhead_app:app-pw@db2:5432/identity',
      AUTH_GRPC_ADDRESS: 'auth:50051',
      REDIS_URL: 'redis://redis:6379',
      RELAY_DATABASE_PASSWORD: 'p@ss word',
    });
    expect(outboxSources(config)).toEqual([
      { id: 'shard-0', url: 'postgres://bulkhead_audit_relay:p%40ss%20word@db0:5432/shard_0' },
      { id: 'shard-1', url: 'postgres://bulkhead_audit_relay:p%40ss%20word@db1:5432/shard_1' },
      { id: IDENTITY_SOURCE, url: 'postgres://bulkhead_audit_relay:p%40ss%20word@db2:5432/identity' },
    ]);
  });
});
