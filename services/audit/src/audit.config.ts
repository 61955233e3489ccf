import { envFields, serviceConfigShape, type EnvConfig } from '@bulkhead/config';

/** The audit (compliance-log) service's environment variables. */
export const auditConfigShape = {
  ...serviceConfigShape,
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
};

export type AuditConfig = EnvConfig<typeof auditConfigShape>;
