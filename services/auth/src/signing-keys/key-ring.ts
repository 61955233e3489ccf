import type { Logger } from '@bulkhead/observability';
import {
  buildJwks,
  createLocalJwksSource,
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  keysToPublish,
  type JwksSource,
  type SigningKey,
  type SigningKeyStore,
} from '@bulkhead/tokens';
import type { JSONWebKeySet } from 'jose';

/** Options of {@link openKeyRing}. */
export interface KeyRingOptions {
  store: SigningKeyStore;
  /** The longest access-token life: how long a replaced key keeps being published. */
  accessTokenTtlSeconds: number;
  /**
   * How long a new key is published before it signs, so every replica and verifier has it
   * by then (longer than the reload interval plus a verifier's JWKS refetch cooldown).
   */
  activationDelaySeconds: number;
  /** How often the ring rereads the store (a rotation by another replica or the CLI). */
  reloadIntervalMs: number;
  logger: Logger;
  now?: () => Date;
}

/** The auth service's signing keys, kept in step with the store. */
export interface KeyRing {
  /** The key that signs now: the newest key past its activation delay (or the only one). */
  activeKey(): SigningKey;
  /** What JWKS publishes: every key that may sign or may have signed a live token. */
  jwks(): JSONWebKeySet;
  /** Verifies this service's own tokens against {@link jwks}. */
  readonly jwksSource: JwksSource;
  reload(): Promise<void>;
  close(): void;
}

/**
 * Adds a new signing key to the store and forgets keys no live token can reference. Replicas
 * publish it at their next reload and sign with it once its activation delay has passed.
 */
export async function rotateSigningKey(
  store: SigningKeyStore,
  options: Pick<KeyRingOptions, 'accessTokenTtlSeconds' | 'activationDelaySeconds'> & { now?: Date },
): Promise<SigningKey> {
  const now = options.now ?? new Date();
  const key = await generateSigningKey(now);
  await store.save(await exportSigningKey(key));
  const keys = await Promise.all((await store.list()).map(importSigningKey));
  const published = new Set(keysToPublish(keys, now, options.accessTokenTtlSeconds + options.activationDelaySeconds).map((jwk) => jwk.kid));
  for (const old of keys) if (!published.has(old.kid)) await store.remove(old.kid);
  return key;
}

/** Loads the ring from the store (creating the first key if there is none) and keeps it fresh. */
export async function openKeyRing(options: KeyRingOptions): Promise<KeyRing> {
  const now = options.now ?? (() => new Date());
  const publishWindowSeconds = options.accessTokenTtlSeconds + options.activationDelaySeconds;
  let keys: SigningKey[] = [];
  let published: JSONWebKeySet = { keys: [] };
  let localSource: JwksSource = createLocalJwksSource(published);

  const reload = async (): Promise<void> => {
    let loaded = await Promise.all((await options.store.list()).map(importSigningKey));
    if (loaded.length === 0) {
      await options.store.save(await exportSigningKey(await generateSigningKey(now())));
      loaded = await Promise.all((await options.store.list()).map(importSigningKey));
    }
    keys = loaded.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    published = buildJwks(keysToPublish(keys, now(), publishWindowSeconds));
    localSource = createLocalJwksSource(published);
  };
  await reload();

  const timer = setInterval(() => {
    reload().catch((err: unknown) => options.logger.error({ err }, 'reloading the signing keys failed; keeping the current ones'));
  }, options.reloadIntervalMs);
  timer.unref();

  return {
    activeKey() {
      const activeBefore = now().getTime() - options.activationDelaySeconds * 1000;
      const key = keys.find((candidate) => candidate.createdAt.getTime() <= activeBefore) ?? keys[keys.length - 1];
      if (key === undefined) throw new Error('the key ring is empty');
      return key;
    },
    jwks: () => published,
    jwksSource: { getKey: (header, token) => localSource.getKey(header, token) },
    reload,
    close: () => clearInterval(timer),
  };
}
