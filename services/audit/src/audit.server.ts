import path from 'node:path';
import { AuditReviewServiceService } from '@bulkhead/contracts';
import { assertMigrated } from '@bulkhead/database';
import { createGrpcServer } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { createServiceAuthentication } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import type { AuditConfig } from './audit.config';
import { createKafka, ensureTopics } from './kafka';
import { LOG_CONSUMER_LOOP, logConsumerLoop } from './log/log-consumer';
import { keepPartitionsReady } from './log/partitions';
import { startOutboxRelay } from './relay/outbox-relay';
import { outboxSources } from './relay/outbox-sources';
import { createAuditReviewHandlers } from './review/review.handlers';
import { createPlatformAccess } from './review/platform-access';
import { createAuditReviewService } from './review/review.service';

/** The audit service's migrations scope, and where its compliance-log migrations live. */
export const AUDIT_MIGRATIONS = { scope: 'audit', target: 'audit' } as const;

export function auditMigrationsDir(migrationsRoot: string): string {
  return path.resolve(migrationsRoot, 'audit', 'migrations', AUDIT_MIGRATIONS.target);
}

/** Partitions of the audit topic: the relays key by tenant id, so one tenant stays in order. */
export const AUDIT_TOPIC_PARTITIONS = 6;

/**
 * The dead-letter topic's `max.message.bytes`: twice the broker's default, so a dead letter (any
 * message the audit topic took, plus the headers saying why and where from) always fits. At the
 * default, a poison message near 1 MiB was refused on every retry and stopped its partition.
 */
export const DEAD_LETTER_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/** A started audit service; `port` is the bound gRPC port of the reviewer API (useful with port 0 in tests). */
export interface AuditServer extends RunningService {
  port: number;
}

/**
 * The compliance-log service: refuses to start unless the audit database is migrated, creates
 * the audit and dead-letter topics when missing, keeps the coming months' partitions ready,
 * then consumes the audit topic into the hash-chained log, and (unless RELAY_ENABLED is false)
 * relays every shard's and the identity database's outbox to the audit topic, and serves the
 * reviewer API (AuditReviewService) with every RPC behind token verification. The consumer and
 * the relay loops run under the runtime's supervisor; while one is down the server's gRPC health
 * is NOT_SERVING and `loop/<name>` says which (ADR 0012).
 */
export async function startAuditServer(config: AuditConfig, { logger, registry, supervisor }: ServiceDependencies): Promise<AuditServer> {
  await assertMigrated({
    shards: [{ id: 'audit', url: config.AUDIT_DATABASE_URL }],
    migrationsDir: auditMigrationsDir(config.MIGRATIONS_DIR),
    scope: AUDIT_MIGRATIONS.scope,
  });
  const pool = new Pool({ connectionString: config.AUDIT_DATABASE_URL, max: config.AUDIT_DATABASE_POOL_SIZE, connectionTimeoutMillis: 2000 });
  pool.on('error', (err) => logger.warn({ err }, 'idle audit-database connection failed'));
  // A connection lost while checked out fails its query (and so the batch, which is retried);
  // its 'error' event must still be heard, or the process would crash.
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err }, 'audit-database connection lost')));
  const partitions = await keepPartitionsReady(pool, logger);

  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [
      { topic: config.AUDIT_TOPIC, numPartitions: AUDIT_TOPIC_PARTITIONS },
      { topic: config.AUDIT_DLQ_TOPIC, numPartitions: 1, config: { 'max.message.bytes': String(DEAD_LETTER_MAX_MESSAGE_BYTES) } },
    ],
    config.AUDIT_TOPIC_REPLICATION_FACTOR,
  );
  supervisor.supervise(
    LOG_CONSUMER_LOOP,
    logConsumerLoop({
      kafka,
      pool,
      logger,
      registry,
      topic: config.AUDIT_TOPIC,
      deadLetterTopic: config.AUDIT_DLQ_TOPIC,
      groupId: config.AUDIT_CONSUMER_GROUP,
    }),
  );
  const relay = config.RELAY_ENABLED
    ? startOutboxRelay({
        sources: outboxSources(config),
        brokers: config.KAFKA_BROKERS,
        clientId: `${config.KAFKA_CLIENT_ID}-relay`,
        topic: config.AUDIT_TOPIC,
        batchSize: config.RELAY_BATCH_SIZE,
        pollIntervalMs: config.RELAY_POLL_INTERVAL_MS,
        logger,
        registry,
        supervisor,
      })
    : undefined;

  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await redis.connect();
  const authentication = createServiceAuthentication({
    issuer: config.TOKEN_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    authAddress: config.AUTH_GRPC_ADDRESS,
    redis,
  });
  const server = createGrpcServer({ logger, registry, middleware: authentication.middleware });
  const platform = createPlatformAccess({ pool });
  server.addService(
    AuditReviewServiceService,
    createAuditReviewHandlers(createAuditReviewService({ pool, exportBatchSize: config.AUDIT_EXPORT_BATCH_SIZE, platform })),
  );
  const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
  supervisor.reportTo(server.health);
  logger.info({ grpcPort: port }, 'audit gRPC listening');

  return {
    port,
    checkReadiness: async () => {
      const down: string[] = [];
      await pool.query('SELECT 1').catch(() => down.push('audit-database'));
      await redis.ping().catch(() => down.push('redis'));
      await admin.describeCluster().catch(() => down.push('kafka'));
      return down;
    },
    stop: async (graceMs) => {
      // The loops use the pools and clients closed below (runService has stopped them already).
      await supervisor.stop();
      await server.shutdown({ timeoutMs: graceMs });
      authentication.close();
      redis.disconnect();
      await relay?.stop();
      partitions.stop();
      await admin.disconnect();
      await pool.end();
    },
  };
}
