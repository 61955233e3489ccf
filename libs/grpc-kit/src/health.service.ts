import { HealthCheckResponse_ServingStatus, type HealthCheckResponse, type HealthService } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import type { ServiceImplementation } from './service-definition';

/** What a service reports about itself. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** Sets the statuses `grpc.health.v1.Health` reports. */
export interface HealthReporter {
  /**
   * Sets `service` (fully-qualified name, or `''` for the whole server) and notifies watchers.
   * Ignored once the server is shutting down: it stays NOT_SERVING.
   */
  setStatus(service: string, status: ServingStatus): void;
}

/** The standard health service plus the control the server needs for shutdown. */
export interface HealthServiceHandle extends HealthReporter {
  readonly implementation: ServiceImplementation<typeof HealthService>;
  /** Reports NOT_SERVING for every known service, then ends the open Watch streams. */
  drain(): void;
}

const WIRE_STATUS: Record<ServingStatus, HealthCheckResponse_ServingStatus> = {
  SERVING: HealthCheckResponse_ServingStatus.SERVING,
  NOT_SERVING: HealthCheckResponse_ServingStatus.NOT_SERVING,
};

/** One Watch stream's pending updates; it ends when the call's signal aborts. */
class StatusQueue {
  private readonly pending: HealthCheckResponse_ServingStatus[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(signal: AbortSignal) {
    if (signal.aborted) this.ended = true;
    else signal.addEventListener('abort', () => this.end(), { once: true });
  }

  push(status: HealthCheckResponse_ServingStatus): void {
    this.pending.push(status);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** The next status; undefined once ended and drained. */
  async next(): Promise<HealthCheckResponse_ServingStatus | undefined> {
    while (this.pending.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    return this.pending.shift();
  }
}

/** An in-memory `grpc.health.v1.Health` (Check, List, Watch) as upstream specifies it. */
export function createHealthService(): HealthServiceHandle {
  const statuses = new Map<string, HealthCheckResponse_ServingStatus>();
  const watchers = new Map<string, Set<StatusQueue>>();
  let draining = false;

  const setWireStatus = (service: string, status: HealthCheckResponse_ServingStatus): void => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    for (const queue of watchers.get(service) ?? []) queue.push(status);
  };

  const implementation: ServiceImplementation<typeof HealthService> = {
    async check(request) {
      const status = statuses.get(request.service);
      if (status === undefined) {
        throw new AppError({ kind: 'NOT_FOUND', code: 'HEALTH_SERVICE_UNKNOWN', message: 'Unknown service' });
      }
      return { status };
    },

    async list() {
      const entries = [...statuses].map(([service, status]): [string, HealthCheckResponse] => [service, { status }]);
      return { statuses: Object.fromEntries(entries) };
    },

    // Upstream semantics: the current status at once, then every change; an unknown service is
    // SERVICE_UNKNOWN and the stream stays open in case it appears.
    async *watch(request, ctx) {
      const queue = new StatusQueue(ctx.signal);
      queue.push(statuses.get(request.service) ?? HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN);
      if (draining) queue.end();
      const queues = watchers.get(request.service) ?? new Set<StatusQueue>();
      watchers.set(request.service, queues.add(queue));
      try {
        for (let status = await queue.next(); status !== undefined; status = await queue.next()) {
          yield { status };
        }
      } finally {
        queues.delete(queue);
        if (queues.size === 0) watchers.delete(request.service);
      }
    },
  };

  return {
    implementation,
    setStatus(service, status) {
      if (!draining) setWireStatus(service, WIRE_STATUS[status]);
    },
    drain() {
      draining = true;
      for (const service of statuses.keys()) setWireStatus(service, HealthCheckResponse_ServingStatus.NOT_SERVING);
      for (const queues of watchers.values()) for (const queue of queues) queue.end();
    },
  };
}
