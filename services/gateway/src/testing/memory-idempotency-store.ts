import type { IdempotencyRecord, IdempotencyStore } from '../idempotency/idempotency-store';

/** An {@link IdempotencyStore} in a Map (no expiry), for unit specs; the Redis one has its int-spec. */
export interface MemoryIdempotencyStore extends IdempotencyStore {
  readonly records: Map<string, IdempotencyRecord>;
  /** Holds every `complete` until the returned function is called (a request still in flight). */
  holdCompletions(): () => void;
}

export function createMemoryIdempotencyStore(): MemoryIdempotencyStore {
  const records = new Map<string, IdempotencyRecord>();
  let held: Promise<void> = Promise.resolve();
  return {
    records,
    holdCompletions() {
      let release = (): void => undefined;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return release;
    },
    async claim(key, fingerprint) {
      const existing = records.get(key);
      if (existing === undefined) records.set(key, { state: 'in-flight', fingerprint });
      return existing;
    },
    async complete(key, fingerprint, response) {
      await held;
      records.set(key, { state: 'completed', fingerprint, response });
    },
    async release(key) {
      records.delete(key);
    },
  };
}
