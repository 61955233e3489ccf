import { openSealedSecret, sealSecret, type SigningKeyStore, type StoredSigningKey } from '@bulkhead/tokens';
import type { JWK } from 'jose';
import type { Pool } from 'pg';

type Row = { kid: string; created_at: Date; private_jwk_sealed: string; public_jwk: JWK };

/** Signing keys in the identity database, private halves sealed with `encryptionKey`. */
export function createPgSigningKeyStore(pool: Pool, encryptionKey: Buffer): SigningKeyStore {
  return {
    async save(key: StoredSigningKey) {
      await pool.query(
        `INSERT INTO signing_keys (kid, created_at, private_jwk_sealed, public_jwk) VALUES ($1, $2, $3, $4)
         ON CONFLICT (kid) DO NOTHING`,
        [key.kid, key.createdAt, sealSecret(encryptionKey, JSON.stringify(key.privateJwk)), key.publicJwk],
      );
    },
    async list() {
      const { rows } = await pool.query<Row>('SELECT kid, created_at, private_jwk_sealed, public_jwk FROM signing_keys ORDER BY created_at DESC, kid');
      return rows.map((row) => {
        let privateJwk: JWK;
        try {
          privateJwk = JSON.parse(openSealedSecret(encryptionKey, row.private_jwk_sealed)) as JWK;
        } catch (cause) {
          throw new Error(`signing key ${row.kid} cannot be opened: is SIGNING_KEY_ENCRYPTION_KEY the key it was sealed with?`, { cause });
        }
        return { kid: row.kid, createdAt: row.created_at.toISOString(), privateJwk, publicJwk: row.public_jwk };
      });
    },
    async remove(kid: string) {
      await pool.query('DELETE FROM signing_keys WHERE kid = $1', [kid]);
    },
  };
}
