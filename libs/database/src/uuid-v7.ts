import { randomBytes } from 'node:crypto';

/** Random bytes are drawn from the CSPRNG a pool at a time: one call per 256 ids, not one per id. */
const POOL_BYTES = 16 * 256;
let pool = Buffer.alloc(0);
let offset = 0;

function randomSixteen(): Buffer {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + 16));
  offset += 16;
  return bytes;
}

/**
 * A new UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort
 * by creation time and index well. Every new row id and tenant id is one.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomSixteen();
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
