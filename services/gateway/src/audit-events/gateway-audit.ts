import { auditActorOf, auditMessageOf, clientOf, type AuditEventInput } from '@bulkhead/audit';
import type { AppError } from '@bulkhead/errors';
import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import type { Logger, Registry } from '@bulkhead/observability';
import type { Supervisor } from '@bulkhead/service-runtime';
import { tenantKey } from '@bulkhead/tenant-cache';
import type { Redis } from 'ioredis';
import { Kafka, logLevel, type LogEntry, type Producer } from 'kafkajs';
import { Counter } from 'prom-client';
import type { AuthenticatedCaller } from '../authentication/request-authenticator';

/** A request refused by the rate limit: where it came from (its call options to the backends) and the limit it hit. */
export interface RefusedRequest {
  readonly callOptions: ClientCallOptions;
  readonly plan: string;
  readonly requestsPerMinute: number;
}

/** A request the gateway itself refused with 403 (not a backend's refusal, which its service records). */
export interface DeniedRequest {
  readonly callOptions: ClientCallOptions;
  /** `METHOD /route/pattern`, e.g. `GET /v1/platform/audit/events`. */
  readonly route: string;
  readonly error: AppError;
}

/**
 * The audit events the gateway records itself, produced straight to the audit topic (ADR 0005:
 * the gateway has no database and no outbox) from a bounded in-memory queue, fire and forget: a
 * full queue, Redis or Kafka failing drops the event (counted), never the answer.
 * - `access.rate_limited`, sampled: at most one per tenant per window, decided by Redis
 *   (`SET bh:{tid}:audit:rl-sample NX EX window`), so every gateway replica together writes one.
 * - `access.denied` for each 403 the gateway answers on its own (tenant mismatch of `X-Tenant-ID`
 *   or the subdomain, a platform route without the platform role), in the caller's tenant.
 */
export interface GatewayAudit {
  /** Never waits on Kafka and never throws. */
  rateLimited(caller: AuthenticatedCaller, request: RefusedRequest): void;
  /** Never waits on Kafka and never throws. */
  denied(caller: AuthenticatedCaller, request: DeniedRequest): void;
  /** Resolves once what is queued now was sent or dropped. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface GatewayAuditOptions {
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

export function createGatewayAudit(options: GatewayAuditOptions): GatewayAudit {
  const dropped = new Counter({
    name: 'bulkhead_gateway_audit_dropped_total',
    help: 'Audit events of the gateway not produced (queue full, Redis or Kafka failing), by action and reason.',
    labelNames: ['action', 'reason'] as const,
    registers: [options.registry],
  });
  const queue: { key: string; value: string; action: string }[] = [];
  let sending: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, queue.length);
      try {
        await options.producer.send({ topic: options.topic, acks: -1, messages: batch.map(({ key, value }) => ({ key, value })) });
      } catch (err) {
        for (const { action } of batch) dropped.inc({ action, reason: 'kafka' });
        options.logger.warn({ err, events: batch.length }, 'gateway audit events not produced');
      }
    }
  }

  function send(): void {
    sending ??= drain().finally(() => {
      sending = undefined;
    });
  }

  /** Queues the event of `input` in the caller's tenant, unless the queue is full. */
  function enqueue(caller: AuthenticatedCaller, callOptions: ClientCallOptions, input: Omit<AuditEventInput, 'actor' | 'requestId' | 'ip' | 'userAgent'>): void {
    const { tenantId } = caller.principal;
    if (queue.length >= options.maxQueued) {
      dropped.inc({ action: input.action, reason: 'queue_full' });
      return;
    }
    const { requestId, metadata } = callOptions;
    const event: AuditEventInput = {
      actor: auditActorOf(caller.principal),
      ...(requestId === undefined ? {} : { requestId }),
      ...(metadata === undefined ? {} : clientOf({ metadata })),
      ...input,
    };
    queue.push({ key: tenantId, value: auditMessageOf(tenantId, event).value, action: input.action });
    send();
  }

  async function sample(caller: AuthenticatedCaller, request: RefusedRequest): Promise<void> {
    const { tenantId } = caller.principal;
    const first = await options.redis.set(tenantKey(tenantId, 'audit', 'rl-sample'), '1', 'EX', options.sampleWindowSeconds, 'NX');
    if (first !== 'OK') return;
    enqueue(caller, request.callOptions, {
      action: 'access.rate_limited',
      // The organization's request budget is what ran out.
      resource: { type: 'organization', id: tenantId },
      outcome: 'denied',
      metadata: { plan: request.plan, requestsPerMinute: request.requestsPerMinute, sampled: true, sampleWindowSeconds: options.sampleWindowSeconds },
    });
  }

  return {
    rateLimited(caller, request) {
      sample(caller, request).catch((err: unknown) => {
        dropped.inc({ action: 'access.rate_limited', reason: 'redis' });
        options.logger.warn({ err }, 'access.rate_limited sample not taken');
      });
    },
    denied(caller, request) {
      try {
        enqueue(caller, request.callOptions, {
          action: 'access.denied',
          resource: { type: 'route', id: request.route.slice(0, 200) },
          outcome: 'denied',
          metadata: { route: request.route, errorKind: request.error.kind, errorCode: request.error.code, refusedBy: 'gateway' },
        });
      } catch (err) {
        dropped.inc({ action: 'access.denied', reason: 'invalid' });
        options.logger.warn({ err }, 'access.denied event not built');
      }
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

/** The settings of {@link startGatewayAudit}. */
export interface GatewayAuditSettings {
  /** Unset: no Kafka, refusals are counted but not audited. */
  brokers: readonly string[] | undefined;
  topic: string;
  sampleWindowSeconds: number;
  maxQueued: number;
}

/** The producer's supervised loop: in `/readyz` (degraded, never failing), `bulkhead_loop_restarts_total`. */
export const GATEWAY_AUDIT_LOOP = 'gateway-audit-producer';

/**
 * The {@link GatewayAudit} over its own idempotent producer (acks=all), or undefined without
 * brokers. The producer is a supervised loop (ADR 0012): it connects in the background, and a
 * failed connect or send ends it and connects a fresh one with backoff. The gateway starts and
 * serves while Kafka is unreachable, dropping (and counting) samples until it is back; the loop
 * never makes the gateway unready (the samples are best effort), `/readyz` names it as degraded.
 */
export function startGatewayAudit(
  settings: GatewayAuditSettings,
  deps: { redis: Pick<Redis, 'set'>; logger: Logger; registry: Registry; supervisor: Supervisor },
): GatewayAudit | undefined {
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
  let connected: { producer: Producer; lost: (err: unknown) => void } | undefined;
  deps.supervisor.supervise(
    GATEWAY_AUDIT_LOOP,
    async ({ signal, running }) => {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      try {
        await producer.connect();
        await new Promise<void>((resolve, reject) => {
          connected = { producer, lost: reject };
          running();
          if (signal.aborted) resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        connected = undefined;
        await producer.disconnect().catch(() => undefined);
      }
    },
    { affectsReadiness: false },
  );
  const producer: Pick<Producer, 'send' | 'disconnect'> = {
    send: async (record) => {
      const current = connected;
      if (current === undefined) throw new Error('the gateway audit producer is not connected');
      try {
        return await current.producer.send(record);
      } catch (err) {
        current.lost(err);
        throw err;
      }
    },
    disconnect: async () => connected?.producer.disconnect(),
  };
  return createGatewayAudit({ ...deps, producer, topic: settings.topic, sampleWindowSeconds: settings.sampleWindowSeconds, maxQueued: settings.maxQueued });
}
