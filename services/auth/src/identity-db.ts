import type { Pool } from 'pg';

/** Anything that runs a query on the identity database: the pool, or a transaction's client. */
export type IdentityDb = Pick<Pool, 'query'>;

/** PostgreSQL's unique_violation, and the constraint it names. */
export function uniqueViolationOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, constraint } = err as { code?: unknown; constraint?: unknown };
  return code === '23505' && typeof constraint === 'string' ? constraint : undefined;
}
