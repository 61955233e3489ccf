import { randomBytes } from 'node:crypto';

const PREFIX = 'bhi_';
const ORG_ID_BYTES = 16;
const SECRET_BYTES = 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What an invitation token carries: the inviting org (readable by anyone) and a secret. */
export interface InvitationToken {
  /** The inviting organization's id (lowercase UUID). */
  organizationId: string;
  /** 32 random bytes; the org service stores only a hash of the token. */
  secret: Buffer;
}

/**
 * Encodes an invitation token: `bhi_` + base64url(16 bytes of the org id + 32 secret bytes).
 * The org id in clear lets the auth service find (and lock) the org before asking the org
 * service on that tenant's shard to redeem it. `secret` defaults to 32 fresh random bytes.
 */
export function encodeInvitationToken(organizationId: string, secret: Buffer = randomBytes(SECRET_BYTES)): string {
  const id = organizationId.toLowerCase();
  if (!UUID.test(id)) {
    throw new Error('an invitation token needs a UUID organization id');
  }
  if (secret.length !== SECRET_BYTES) {
    throw new Error(`an invitation token secret is ${SECRET_BYTES} bytes`);
  }
  return PREFIX + Buffer.concat([Buffer.from(id.replaceAll('-', ''), 'hex'), secret]).toString('base64url');
}

/** Reads a token made by {@link encodeInvitationToken}; `undefined` when it is malformed. */
export function parseInvitationToken(token: string): InvitationToken | undefined {
  if (!token.startsWith(PREFIX)) {
    return undefined;
  }
  const body = token.slice(PREFIX.length);
  const bytes = Buffer.from(body, 'base64url');
  // Node's decoder skips characters it does not know; only the canonical form is accepted.
  if (bytes.length !== ORG_ID_BYTES + SECRET_BYTES || bytes.toString('base64url') !== body) {
    return undefined;
  }
  const hex = bytes.subarray(0, ORG_ID_BYTES).toString('hex');
  return {
    organizationId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    secret: bytes.subarray(ORG_ID_BYTES),
  };
}
