import type { SigningKeyStore, StoredSigningKey } from '../signing-key';

/** A {@link SigningKeyStore} held in memory: for tests only. */
export function createInMemorySigningKeyStore(): SigningKeyStore {
  const keys = new Map<string, StoredSigningKey>();
  return {
    save: async (key) => {
      keys.set(key.kid, key);
    },
    list: async () => [...keys.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    remove: async (kid) => {
      keys.delete(kid);
    },
  };
}
