import type { Pool, PoolClient } from 'pg';

/**
 * Runs `fn` in a transaction on a connection of `pool` (a global database: identity, audit),
 * committing when it resolves and rolling back when it throws. Tenant data never goes through
 * here: shards are reached only through `withTenant`.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await fn(client);
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = new Error('rollback failed', { cause: rollbackErr });
      });
      throw err;
    }
    await client.query('COMMIT');
    return result;
  } finally {
    client.release(broken);
  }
}
