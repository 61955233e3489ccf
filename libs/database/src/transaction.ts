import type { Pool, PoolClient, QueryResult } from 'pg';

/**
 * Runs `fn` inside the transaction already begun on `client`, then `commit` (by default a
 * plain COMMIT); ROLLBACK when either throws (then rethrows). Throws when COMMIT rolls back
 * instead (a failed statement whose error `fn` caught). A failed ROLLBACK leaves the connection
 * unusable; `markBroken` receives that error so the caller can release the connection as broken.
 */
export async function commitOrRollback<T>(
  client: PoolClient,
  fn: () => Promise<T>,
  markBroken: (err: Error) => void,
  commit: () => Promise<QueryResult> = () => client.query('COMMIT'),
): Promise<T> {
  let result: T;
  let committed: QueryResult;
  try {
    result = await fn();
    committed = await commit();
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => markBroken(new Error('rollback failed', { cause: rollbackErr })));
    throw err;
  }
  // PostgreSQL answers COMMIT of an aborted transaction with a rollback, not an error.
  if (committed.command === 'ROLLBACK') throw new Error('the transaction was rolled back at COMMIT: one of its statements failed');
  return result;
}

/**
 * Runs `fn` in a transaction on a connection of `pool` (a global database: identity, audit),
 * committing when it resolves and rolling back when it throws. Tenant data never goes through
 * here: shards are reached only through `withTenant`.
 */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has no 'error' listener: a dropped socket would crash the process.
  const onSocketError = (err: Error): void => {
    broken = new Error('connection lost', { cause: err });
  };
  client.on('error', onSocketError);
  try {
    await client.query('BEGIN');
    return await commitOrRollback(client, () => fn(client), (err) => (broken = err));
  } finally {
    client.off('error', onSocketError);
    client.release(broken);
  }
}
