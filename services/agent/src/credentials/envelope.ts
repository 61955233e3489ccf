import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TenantTx } from '@bulkhead/database';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM: iv | tag | ciphertext, authenticated with `aad`. */
function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES)).setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/**
 * Envelope encryption of agent credentials: each tenant has a random data key, stored on its
 * shard wrapped by the master key (bound to the tenant id); credentials are sealed by the data
 * key (bound to tenant and agent id, so a sealed value copied to another agent or tenant does
 * not open). Rotating the master key means re-wrapping data keys only.
 */
export function createCredentialEnvelope(masterKey: Buffer) {
  const dataKeyOf = async (tx: TenantTx): Promise<Buffer> => {
    const read = async () =>
      (await tx.query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM agent_data_keys WHERE tenant_id = $1', [tx.tenantId])).rows[0]?.wrapped_key;
    let wrapped = await read();
    if (wrapped === undefined) {
      await tx.query('INSERT INTO agent_data_keys (tenant_id, wrapped_key) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING', [
        tx.tenantId,
        seal(masterKey, randomBytes(32), tx.tenantId),
      ]);
      wrapped = await read();
    }
    return open(masterKey, wrapped as Buffer, tx.tenantId);
  };
  return {
    async seal(tx: TenantTx, agentId: string, credentials: Readonly<Record<string, string>>): Promise<Buffer> {
      return seal(await dataKeyOf(tx), Buffer.from(JSON.stringify(credentials)), `${tx.tenantId}:${agentId}`);
    },
    async open(tx: TenantTx, agentId: string, sealed: Buffer): Promise<Record<string, string>> {
      return JSON.parse(open(await dataKeyOf(tx), sealed, `${tx.tenantId}:${agentId}`).toString('utf8')) as Record<string, string>;
    },
  };
}

export type CredentialEnvelope = ReturnType<typeof createCredentialEnvelope>;
