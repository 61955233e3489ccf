import type { Redis } from 'ioredis';

/** How long a claim holds while its request runs; a gateway that dies mid-request frees the key after it. */
export const IN_FLIGHT_TTL_SECONDS = 60;
/** How long a finished response is replayed. */
export const COMPLETED_TTL_SECONDS = 24 * 60 * 60;

/** A response kept for replay: the status, the headers that matter and the serialized body. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What an idempotency key holds: the request's fingerprint and, once it finished, its response. */
export type IdempotencyRecord =
  | { readonly state: 'in-flight'; readonly fingerprint: string }
  | { readonly state: 'completed'; readonly fingerprint: string; readonly response: StoredResponse };

/** Idempotency keys in Redis; every method rejects when Redis does not answer. */
export interface IdempotencyStore {
  /** Claims `key` for a new request; `undefined` when it was free, else what it already holds. */
  claim(key: string, fingerprint: string): Promise<IdempotencyRecord | undefined>;
  /** Keeps the finished request's response under `key` for {@link COMPLETED_TTL_SECONDS}. */
  complete(key: string, fingerprint: string, response: StoredResponse): Promise<void>;
  /** Frees `key` so a retry runs again. */
  release(key: string): Promise<void>;
}

const isRecord = (value: unknown): value is IdempotencyRecord =>
  typeof value === 'object' && value !== null && 'state' in value && 'fingerprint' in value;

/**
 * {@link IdempotencyStore} on JSON strings: a claim is one `SET NX GET` (atomic: of two concurrent
 * requests exactly one claims, the other reads the claim), expiring after
 * {@link IN_FLIGHT_TTL_SECONDS}.
 */
export function createRedisIdempotencyStore(redis: Redis): IdempotencyStore {
  return {
    async claim(key, fingerprint) {
      const record: IdempotencyRecord = { state: 'in-flight', fingerprint };
      const previous = await redis.call('SET', key, JSON.stringify(record), 'EX', String(IN_FLIGHT_TTL_SECONDS), 'NX', 'GET');
      if (previous === null) return undefined;
      const parsed: unknown = JSON.parse(String(previous));
      if (!isRecord(parsed)) throw new Error(`idempotency key ${key} holds no record`);
      return parsed;
    },
    async complete(key, fingerprint, response) {
      const record: IdempotencyRecord = { state: 'completed', fingerprint, response };
      await redis.set(key, JSON.stringify(record), 'EX', COMPLETED_TTL_SECONDS);
    },
    async release(key) {
      await redis.del(key);
    },
  };
}
