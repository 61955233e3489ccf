import argon2 from 'argon2';

/** Argon2id with OWASP's recommended minimum: 19 MiB memory, 2 iterations, 1 lane. */
export const OWASP_ARGON2ID = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHasher {
  /** A PHC-format Argon2id hash of the password. */
  hash(password: string): Promise<string>;
  /**
   * Whether the password matches. With no stored hash (unknown email) it still does the full
   * Argon2id work against a dummy hash and answers false, so a login for an unknown email costs
   * the same as a wrong password and reveals nothing.
   */
  verify(storedHash: string | undefined, password: string): Promise<boolean>;
}

/**
 * The Argon2id hasher. The work runs on libuv's thread pool, off the event loop, so a burst of
 * logins does not stall other requests.
 */
export function createPasswordHasher(params: typeof OWASP_ARGON2ID = OWASP_ARGON2ID): PasswordHasher {
  let dummyHash: Promise<string> | undefined;
  const hash = (password: string): Promise<string> => argon2.hash(password, params);
  return {
    hash,
    async verify(storedHash, password) {
      if (storedHash === undefined) {
        dummyHash ??= hash('bulkhead-dummy-password-for-unknown-accounts');
        await argon2.verify(await dummyHash, password);
        return false;
      }
      return argon2.verify(storedHash, password);
    },
  };
}
