import { withShardCredentials } from '@bulkhead/config';
import type { AuditConfig } from '../audit.config';
import type { OutboxSource } from './outbox-relay';

/** The identity database among the relay's sources (its metrics label and log field). */
export const IDENTITY_SOURCE = 'identity';

/** Every database with an `audit_outbox`: each shard of the map (credentials filled in), then the identity database. */
export function outboxSources(config: Pick<AuditConfig, 'SHARD_MAP' | 'SHARD_DATABASE_USER' | 'SHARD_DATABASE_PASSWORD' | 'IDENTITY_DATABASE_URL'>): OutboxSource[] {
  const shards = withShardCredentials(config.SHARD_MAP, { user: config.SHARD_DATABASE_USER, password: config.SHARD_DATABASE_PASSWORD });
  return [...shards.map((shard) => ({ id: shard.id, url: shard.url })), { id: IDENTITY_SOURCE, url: config.IDENTITY_DATABASE_URL }];
}
