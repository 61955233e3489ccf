import { createHash } from 'node:crypto';

/** The `prevHash` of a tenant's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every depth and no whitespace; `undefined` members are left
 * out (as JSON.stringify does). The same value always gives the same text, whatever the key order
 * it was built with — what a hash chain needs.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}

/** `sha256(prevHash || canonicalJson(event))`, hex: one link of a tenant's chain. */
export function chainHash(prevHash: string, event: unknown): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(event)).digest('hex');
}
