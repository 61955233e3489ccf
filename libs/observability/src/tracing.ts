import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TracingOptions {
  serviceName: string;
  serviceVersion?: string;
  /**
   * OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`). Without it (and without
   * `spanProcessors`) spans are not recorded, but trace ids are still created and propagated
   * (they reach logs and audit events).
   */
  otlpTracesUrl?: string;
  /** Extra processors, e.g. an in-memory one in tests. */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops; call once on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for the process: W3C trace-context propagation, async context,
 * and instrumentation of HTTP, gRPC and Kafka, and of the PostgreSQL and Redis clients when spans
 * are recorded. Call it first in a service's `main.ts`, before the instrumented modules are loaded.
 */
export function startTracing(options: TracingOptions): Tracing {
  const spanProcessors = [...(options.spanProcessors ?? [])];
  if (options.otlpTracesUrl !== undefined) {
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: options.otlpTracesUrl }) }));
  }
  const recording = spanProcessors.length > 0;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion ?? '0.0.0',
    }),
    spanProcessors,
    // With nowhere to send spans, recording them is pure cost: unsampled spans still carry
    // (and propagate) trace ids for logs and audit events, without attributes or events.
    ...(recording ? {} : { sampler: new AlwaysOffSampler() }),
  });

  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);

  // HTTP and gRPC carry a request's trace context from process to process, so they are
  // instrumented even when nothing is recorded. PostgreSQL and Redis calls are leaves that
  // propagate nothing, and Kafka carries only audit events, which hold their request's trace id
  // in the event itself (the relay produces them from a loop outside any request, the consumer is
  // the end of the line): when no span is recorded their instrumentation only costs (context
  // binding, an unsampled span per statement, command or message) on the hot paths.
  const instrumentations: Instrumentation[] = [
    new HttpInstrumentation(),
    new GrpcInstrumentation(),
    ...(recording
      ? [new KafkaJsInstrumentation(), new PgInstrumentation({ requireParentSpan: true }), new IORedisInstrumentation({ requireParentSpan: true })]
      : []),
  ];
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations });

  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      unregister();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** The current trace id, for logs and audit events; undefined outside a span. */
export function currentTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}
