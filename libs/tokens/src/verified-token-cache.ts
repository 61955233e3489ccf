import { createHash } from 'node:crypto';
import type { Principal } from './principal';

/** Verified tokens, keyed by the SHA-256 of the token (the token itself is never kept). */
export interface VerifiedTokenCache {
  /** The principal of a token verified earlier, unless it has expired since (`now`). */
  get(token: string, now: Date): Principal | undefined;
  set(token: string, principal: Principal): void;
  readonly size: number;
}

/** Options of {@link createVerifiedTokenCache}. */
export interface VerifiedTokenCacheOptions {
  /** Entries kept at most; the least recently used goes first. Default 10 000. */
  maxEntries?: number;
}

const hashOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** An LRU {@link VerifiedTokenCache} whose entries die at their token's `exp`. */
export function createVerifiedTokenCache(options: VerifiedTokenCacheOptions = {}): VerifiedTokenCache {
  const maxEntries = options.maxEntries ?? 10_000;
  // A Map iterates in insertion order: re-inserting on read makes the first key the LRU one.
  const entries = new Map<string, Principal>();
  return {
    get(token, now) {
      const key = hashOf(token);
      const principal = entries.get(key);
      if (principal === undefined) return undefined;
      entries.delete(key);
      if (principal.expiresAt.getTime() <= now.getTime()) return undefined;
      entries.set(key, principal);
      return principal;
    },
    set(token, principal) {
      const key = hashOf(token);
      entries.delete(key);
      entries.set(key, principal);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
