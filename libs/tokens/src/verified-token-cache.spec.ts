import type { Principal } from './principal';
import { createVerifiedTokenCache } from './verified-token-cache';

const principal = (expiresAt: Date): Principal => ({
  type: 'user',
  subject: 'user-1',
  tenantId: 'tenant-a',
  role: 'owner',
  sessionId: 'session-1',
  scopes: [],
  tokenId: 'jti-1',
  expiresAt,
});

const NOW = new Date('2026-11-22T12:00:00Z');
const LATER = new Date('2026-11-22T12:05:00Z');

describe('createVerifiedTokenCache', () => {
  it('forgets an entry at its expiry', () => {
    const cache = createVerifiedTokenCache();
    cache.set('a', principal(LATER));
    expect(cache.get('a', NOW)).toBeDefined();
    expect(cache.get('a', LATER)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const cache = createVerifiedTokenCache({ maxEntries: 2 });
    cache.set('a', principal(LATER));
    cache.set('b', principal(LATER));
    cache.get('a', NOW);
    cache.set('c', principal(LATER));
    expect(cache.size).toBe(2);
    expect(cache.get('b', NOW)).toBeUndefined();
    expect(cache.get('a', NOW)).toBeDefined();
    expect(cache.get('c', NOW)).toBeDefined();
  });
});
