import { createHash } from 'node:crypto';
import { invalidArgument } from '@bulkhead/errors';

const MASK_64 = (1n << 64n) - 1n;
const LCG_MULTIPLIER = 2862933555777941757n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Jump consistent hash (Lamping & Veach, 2014): maps a 64-bit key to a bucket in
 * `[0, buckets)`. Growing from N to N+1 buckets moves only ~1/(N+1) of the keys, and every
 * moved key moves to the new bucket N.
 */
export function jumpConsistentHash(key: bigint, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1) {
    throw new RangeError(`buckets must be a positive integer, got ${String(buckets)}`);
  }
  let state = BigInt.asUintN(64, key);
  let bucket = -1;
  let next = 0;
  while (next < buckets) {
    bucket = next;
    state = (state * LCG_MULTIPLIER + 1n) & MASK_64;
    next = Math.floor((bucket + 1) * (2 ** 31 / Number((state >> 33n) + 1n)));
  }
  return bucket;
}

/** True for a UUID in the 8-4-4-4-12 hex form (any version, either case). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The stable 64-bit hash of a tenant id: the first 8 bytes (big-endian) of the SHA-256 of the
 * UUID's canonical lowercase text. Stable across processes, platforms and releases, which the
 * shard placement depends on. Throws INVALID_ARGUMENT when `tenantId` is not a UUID.
 */
export function tenantHash64(tenantId: string): bigint {
  if (!isUuid(tenantId)) {
    throw invalidArgument([{ field: 'tenantId', description: 'must be a UUID' }]);
  }
  return createHash('sha256').update(tenantId.toLowerCase(), 'utf8').digest().readBigUInt64BE(0);
}
