import type { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** The only signing algorithm Bulkhead issues and accepts. */
export const SIGNING_ALGORITHM = 'EdDSA';

/** An Ed25519 key pair that signs access tokens, named by its `kid`. */
export interface SigningKey {
  /** RFC 7638 thumbprint of the public key; goes in every token's header. */
  readonly kid: string;
  readonly createdAt: Date;
  readonly privateKey: webcrypto.CryptoKey;
  /** The public half as a JWK, with `kid`, `alg` and `use` set: what JWKS publishes. */
  readonly publicJwk: JWK;
}

/** A {@link SigningKey} in a form a database can store (the private JWK is a secret). */
export interface StoredSigningKey {
  readonly kid: string;
  /** ISO-8601. */
  readonly createdAt: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/**
 * Where the auth service keeps its signing keys. The newest key signs; older keys are kept
 * (and published) until every token they signed has expired.
 */
export interface SigningKeyStore {
  /** Adds a key; it becomes the active one when it is the newest. */
  save(key: StoredSigningKey): Promise<void>;
  /** Every stored key, newest first. */
  list(): Promise<readonly StoredSigningKey[]>;
  /** Forgets a key that no unexpired token can reference any more. */
  remove(kid: string): Promise<void>;
}

/** Generates a fresh Ed25519 signing key whose `kid` is its JWK thumbprint. */
export async function generateSigningKey(now: Date = new Date()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    kid,
    createdAt: now,
    privateKey,
    publicJwk: { ...jwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' },
  };
}

/** Serialises a key for a {@link SigningKeyStore}. */
export async function exportSigningKey(key: SigningKey): Promise<StoredSigningKey> {
  const privateJwk = await exportJWK(key.privateKey);
  return {
    kid: key.kid,
    createdAt: key.createdAt.toISOString(),
    privateJwk: { ...privateJwk, kid: key.kid },
    publicJwk: key.publicJwk,
  };
}

/** Restores a key read from a {@link SigningKeyStore}. */
export async function importSigningKey(stored: StoredSigningKey): Promise<SigningKey> {
  const privateKey = await importJWK(stored.privateJwk, SIGNING_ALGORITHM);
  if (privateKey instanceof Uint8Array || privateKey.type !== 'private') {
    throw new TypeError(`stored signing key ${stored.kid} is not an EdDSA private key`);
  }
  return {
    kid: stored.kid,
    createdAt: new Date(stored.createdAt),
    privateKey,
    publicJwk: stored.publicJwk,
  };
}
