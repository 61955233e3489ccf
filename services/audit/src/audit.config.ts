import { envFields, serviceConfigShape, shardedServiceConfigShape, tokenConfigShape, type EnvConfig } from '@bulkhead/config';

/** The audit (compliance-log) service's environment variables. */
export const auditConfigShape = {
  ...serviceConfigShape,
  ...tokenConfigShape,
  /** The compliance-log database, as the service role (INSERT/SELECT only on the log). */
  AUDIT_DATABASE_URL: envFields.url(['postgres', 'postgresql']),
  AUDIT_DATABASE_POOL_SIZE: envFields.positiveInt().default(10),
  /** Kafka bootstrap brokers, `host:port` comma list. */
  KAFKA_BROKERS: envFields.list(),
  KAFKA_CLIENT_ID: envFields.string().default('bulkhead-audit'),
  /** The topic the outbox relays produce audit events to. */
  AUDIT_TOPIC: envFields.string().default('audit.events'),
  /** Where messages that cannot be logged (unparseable, unknown version, invalid) go, with a reason. */
  AUDIT_DLQ_TOPIC: envFields.string().default('audit.events.dlq'),
  AUDIT_CONSUMER_GROUP: envFields.string().default('bulkhead-audit-log'),
  /** Replication factor of the topics the service creates when missing (1 on the devstack). */
  AUDIT_TOPIC_REPLICATION_FACTOR: envFields.positiveInt().default(1),
  /** The folder holding `<service>/migrations/<target>/` (the repository's or the image's `services/`). */
  MIGRATIONS_DIR: envFields.string().default('services'),
  /** The outbox relay (ADR 0005): off runs the compliance-log consumer alone (and lets the bench compare). */
  RELAY_ENABLED: envFields.boolean().default(true),
  /** The shards whose `audit_outbox` the relay drains (reached as the relay role, whatever credentials the URLs carry). */
  SHARD_MAP: shardedServiceConfigShape.SHARD_MAP,
  /** The identity database, whose `audit_outbox` holds the auth service's events (reached as the relay role too). */
  IDENTITY_DATABASE_URL: envFields.url(['postgres', 'postgresql']),
  /**
   * The relay's own role: it alone may read and delete outbox rows (ADR 0005). The relay connects
   * to every shard of SHARD_MAP and to IDENTITY_DATABASE_URL with these credentials.
   */
  RELAY_DATABASE_USER: envFields.string().default('bulkhead_audit_relay'),
  RELAY_DATABASE_PASSWORD: envFields.string(),
  /** The most outbox rows one relay transaction claims and produces. */
  RELAY_BATCH_SIZE: envFields.positiveInt().default(500),
  /** How long a relay loop waits after finding its outbox empty. */
  RELAY_POLL_INTERVAL_MS: envFields.positiveInt().default(100),
  /** The auth service: the JWKS that verifies reviewers' access tokens. */
  AUTH_GRPC_ADDRESS: shardedServiceConfigShape.AUTH_GRPC_ADDRESS,
  /** Where revoked sessions are listed (checked on every reviewer call). */
  REDIS_URL: shardedServiceConfigShape.REDIS_URL,
  /** Rows an export reads from its database cursor per FETCH (and sends as one chunk). */
  AUDIT_EXPORT_BATCH_SIZE: envFields.positiveInt().default(500),
};

export type AuditConfig = EnvConfig<typeof auditConfigShape>;
