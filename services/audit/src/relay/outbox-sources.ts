import type { AuditConfig } from '../audit.config';
import type { OutboxSource } from './outbox-relay';

/** The identity database among the relay's sources (its metrics label and log field). */
export const IDENTITY_SOURCE = 'identity';

type SourcesConfig = Pick<AuditConfig, 'SHARD_MAP' | 'IDENTITY_DATABASE_URL' | 'RELAY_DATABASE_USER' | 'RELAY_DATABASE_PASSWORD'>;

/** `url` logging in as the relay's role. */
function asRelay(url: string, config: SourcesConfig): string {
  const relay = new URL(url);
  relay.username = encodeURIComponent(config.RELAY_DATABASE_USER);
  relay.password = encodeURIComponent(config.RELAY_DATABASE_PASSWORD);
  return relay.toString();
}

/** Every database with an `audit_outbox`, as the relay's role: each shard of the map, then the identity database. */
export function outboxSources(config: SourcesConfig): OutboxSource[] {
  return [...config.SHARD_MAP.map((shard) => ({ id: shard.id, url: asRelay(shard.url, config) })), { id: IDENTITY_SOURCE, url: asRelay(config.IDENTITY_DATABASE_URL, config) }];
}
