import { createApiKeyExchange, type ExchangedToken } from './api-key-exchange';

describe('the API key exchange cache', () => {
  let clock = 0;
  let exchanges: string[] = [];
  const exchange = async (secret: string): Promise<ExchangedToken> => {
    exchanges.push(secret);
    return { accessToken: `token-${exchanges.length}`, expiresIn: 300 };
  };

  beforeEach(() => {
    clock = 1_000_000;
    exchanges = [];
  });

  it('reuses a token until 30 seconds before it expires', async () => {
    const cache = createApiKeyExchange({ exchange, now: () => clock });
    expect(await cache.accessTokenFor('bhk_a', {})).toBe('token-1');
    clock += 269_000;
    expect(await cache.accessTokenFor('bhk_a', {})).toBe('token-1');
    clock += 1_000;
    expect(await cache.accessTokenFor('bhk_a', {})).toBe('token-2');
    expect(exchanges).toEqual(['bhk_a', 'bhk_a']);
  });

  it('never caches a token with 30 seconds of life or less', async () => {
    const cache = createApiKeyExchange({
      exchange: async (secret) => {
        exchanges.push(secret);
        return { accessToken: 'short', expiresIn: 30 };
      },
      now: () => clock,
    });
    await cache.accessTokenFor('bhk_a', {});
    await cache.accessTokenFor('bhk_a', {});
    expect(exchanges).toEqual(['bhk_a', 'bhk_a']);
  });

  it('keeps at most maxEntries keys, dropping the least recently used', async () => {
    const cache = createApiKeyExchange({ exchange, maxEntries: 2, now: () => clock });
    await cache.accessTokenFor('bhk_a', {});
    await cache.accessTokenFor('bhk_b', {});
    await cache.accessTokenFor('bhk_a', {});
    await cache.accessTokenFor('bhk_c', {});
    expect(exchanges).toEqual(['bhk_a', 'bhk_b', 'bhk_c']);
    await cache.accessTokenFor('bhk_a', {});
    await cache.accessTokenFor('bhk_b', {});
    expect(exchanges).toEqual(['bhk_a', 'bhk_b', 'bhk_c', 'bhk_b']);
  });

  it('exchanges again after forget', async () => {
    const cache = createApiKeyExchange({ exchange, now: () => clock });
    await cache.accessTokenFor('bhk_a', {});
    cache.forget('bhk_a');
    expect(await cache.accessTokenFor('bhk_a', {})).toBe('token-2');
  });
});
