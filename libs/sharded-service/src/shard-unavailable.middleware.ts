import { isAppError } from '@bulkhead/errors';
import type { ServerMiddleware } from '@bulkhead/grpc-kit';
import type { Registry } from '@bulkhead/observability';
import { Counter } from 'prom-client';

/** Name of the counter {@link createShardUnavailableMiddleware} increments. */
export const SHARD_UNAVAILABLE_METRIC = 'bulkhead_shard_unavailable_total';

/**
 * Counts the calls that failed because their tenant's shard could not be reached
 * (`SHARD_UNAVAILABLE`), by shard id: readiness never probes shards, so this is where an
 * operator sees one down (the `BulkheadShardUnavailable` alert, ADR 0015).
 */
export function createShardUnavailableMiddleware(registry: Registry): ServerMiddleware {
  const unavailable = new Counter({
    name: SHARD_UNAVAILABLE_METRIC,
    help: 'Calls that failed because their tenant shard could not be reached, by shard.',
    labelNames: ['shard'] as const,
    registers: [registry],
  });
  return async function* countShardUnavailable(call, ctx) {
    try {
      return yield* call.next(call.request, ctx);
    } catch (err) {
      if (isAppError(err) && err.code === 'SHARD_UNAVAILABLE') unavailable.inc({ shard: err.details['shardId'] ?? 'unknown' });
      throw err;
    }
  };
}
