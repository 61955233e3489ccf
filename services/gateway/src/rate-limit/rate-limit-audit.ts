import { auditActorOf, auditMessageOf, clientOf, type AuditEventInput } from '@bulkhead/audit';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import type { Logger, Registry } from '@bulkhead/observability';
import { tenantKey } from '@bulkhead/tenant-cache';
import type { Redis } from 'ioredis';
import { Kafka, logLevel, type LogEntry, type Producer } from 'kafkajs';
import { Counter } from 'prom-client';
import type { AuthenticatedCaller } from '../authentication/request-authenticator';

/** A refused request: where it came from (its call options to the backends) and the limit it hit. */
export interface RefusedRequest {
  readonly callOptions: ClientCallOptions;
  readonly plan: string;
  readonly requestsPerMinute: number;
}

/**
 * Records rate-limit refusals as `access.rate_limited`, sampled: at most one per tenant per
 * window, decided by Redis (`SET bh:{tid}:audit:rl-sample NX EX window`), so every gateway
 * replica together writes one. Best effort (ADR 0005): the gateway has no database and no outbox,
 * so the sampled event is produced straight to the audit topic from a bounded in-memory queue,
 * fire and forget; a full queue, Redis or Kafka failing drops the sample (counted), never the
 * refusal's answer.
 */
export interface RateLimitAudit {
  /** Never waits on Kafka and never throws. */
  refused(caller: AuthenticatedCaller, request: RefusedRequest): void;
  /** Resolves once what is queued now was sent or dropped. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimitAuditOptions {
  redis: Pick<Redis, 'set'>;
  /** A connected idempotent producer. */
  producer: Pick<Producer, 'send' | 'disconnect'>;
  topic: string;
  /** One event per tenant per this many seconds. */
  sampleWindowSeconds: number;
  /** Events waiting to be produced at most; past it new samples are dropped. */
  maxQueued: number;
  logger: Logger;
  registry: Registry;
}

export function createRateLimitAudit(options: RateLimitAuditOptions): RateLimitAudit {
  const dropped = new Counter({
    name: 'bulkhead_gateway_rate_limit_audit_dropped_total',
    help: 'Sampled access.rate_limited events not produced (queue full, Redis or Kafka failing), by reason.',
    labelNames: ['reason'] as const,
    registers: [options.registry],
  });
  const queue: { key: string; value: string }[] = [];
  let sending: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, queue.length);
      try {
        await options.producer.send({ topic: options.topic, acks: -1, messages: batch });
      } catch (err) {
        dropped.inc({ reason: 'kafka' }, batch.length);
        options.logger.warn({ err, events: batch.length }, 'sampled access.rate_limited events not produced');
      }
    }
  }

  function send(): void {
    sending ??= drain().finally(() => {
      sending = undefined;
    });
  }

  async function sample(caller: AuthenticatedCaller, request: RefusedRequest): Promise<void> {
    const { tenantId } = caller.principal;
    const first = await options.redis.set(tenantKey(tenantId, 'audit', 'rl-sample'), '1', 'EX', options.sampleWindowSeconds, 'NX');
    if (first !== 'OK') return;
    if (queue.length >= options.maxQueued) {
      dropped.inc({ reason: 'queue_full' });
      return;
    }
    const { requestId, metadata } = request.callOptions;
    const input: AuditEventInput = {
      actor: auditActorOf(caller.principal),
      ...(requestId === undefined ? {} : { requestId }),
      ...(metadata === undefined ? {} : clientOf({ metadata })),
      action: 'access.rate_limited',
      // The organization's request budget is what ran out.
      resource: { type: 'organization', id: tenantId },
      outcome: 'denied',
      metadata: { plan: request.plan, requestsPerMinute: request.requestsPerMinute, sampled: true, sampleWindowSeconds: options.sampleWindowSeconds },
    };
    queue.push({ key: tenantId, value: auditMessageOf(tenantId, input).value });
    send();
  }

  return {
    refused(caller, request) {
      sample(caller, request).catch((err: unknown) => {
        dropped.inc({ reason: 'redis' });
        options.logger.warn({ err }, 'access.rate_limited sample not taken');
      });
    },
    async flush() {
      await sending;
    },
    async close() {
      // Best effort: a stop does not wait for an unreachable broker; queued samples may be lost.
      await options.producer.disconnect();
    },
  };
}

/** The settings of {@link startRateLimitAudit}. */
export interface RateLimitAuditSettings {
  /** Unset: no Kafka, refusals are counted but not audited. */
  brokers: readonly string[] | undefined;
  topic: string;
  sampleWindowSeconds: number;
  maxQueued: number;
}

/**
 * The {@link RateLimitAudit} over its own idempotent producer (acks=all), or undefined without
 * brokers. The producer connects in the background: the gateway starts and serves while Kafka
 * is unreachable, dropping (and counting) samples until it is back.
 */
export function startRateLimitAudit(
  settings: RateLimitAuditSettings,
  deps: { redis: Pick<Redis, 'set'>; logger: Logger; registry: Registry },
): RateLimitAudit | undefined {
  if (settings.brokers === undefined || settings.brokers.length === 0) return undefined;
  const { logger } = deps;
  const kafka = new Kafka({
    clientId: 'bulkhead-gateway',
    brokers: [...settings.brokers],
    connectionTimeout: 3000,
    logLevel: logLevel.ERROR,
    logCreator:
      () =>
      ({ label, log }: LogEntry) => {
        const { message, ...fields } = log;
        logger.warn(fields, `kafka ${label.toLowerCase()}: ${message}`);
      },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  producer.connect().catch((err: unknown) => logger.warn({ err }, 'audit producer not connected; rate-limit samples are dropped until it is'));
  return createRateLimitAudit({ ...deps, producer, topic: settings.topic, sampleWindowSeconds: settings.sampleWindowSeconds, maxQueued: settings.maxQueued });
}
