import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** An organization slug (its subdomain): the identity database's CHECK, written once here. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** A slug asked for in a request. */
export const slugSchema = z
  .string()
  .trim()
  .regex(SLUG_PATTERN, 'must be 3–63 lowercase letters, digits or dashes, starting and ending with a letter or digit');

const MAX_SLUG_LENGTH = 63;
const SUFFIX_LENGTH = 6;
const FALLBACK = 'org';

/**
 * The slug an organization gets from its name when none is asked for: accents dropped,
 * lowercased, every run of other characters a single dash, no dash at either end, at most 63
 * characters. A name with too little to go on (`"日本"`, `"A"`) gives `org`, which is padded by
 * {@link withRandomSuffix} to a valid slug.
 */
export function deriveSlug(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^-+|-+$/g, '');
  return base === '' ? FALLBACK : base;
}

/** `slug` with a short random suffix (`acme-x3k9q2`), shortened first so the result stays a valid slug. */
export function withRandomSuffix(slug: string): string {
  const suffix = Array.from(randomBytes(SUFFIX_LENGTH), (byte) => (byte % 36).toString(36)).join('');
  const head = slug.slice(0, MAX_SLUG_LENGTH - SUFFIX_LENGTH - 1).replace(/-+$/g, '');
  return `${head}-${suffix}`;
}
