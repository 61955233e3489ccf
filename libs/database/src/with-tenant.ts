import type { QueryResultRow } from 'pg';
import { isUuid } from './jump-hash';
import type { ShardRouter } from './shard-router';
import { acquirerOf, type ShardPools } from './shard-pools';
import { isConnectionError, shardUnavailable } from './shard-unavailable';
import { commitOrRollback } from './transaction';
import { invalidArgument } from '@bulkhead/errors';

const ignore = (): void => undefined;

/** The result of a {@link TenantTx.query}. */
export interface TenantQueryResult<R extends QueryResultRow> {
  rows: R[];
  rowCount: number;
}

/** A transaction on the tenant's shard with `app.tenant_id` set for its duration. */
export interface TenantTx {
  /** The tenant this transaction is for. */
  readonly tenantId: string;
  /** The shard id the transaction runs on. */
  readonly shardId: string;
  /**
   * Runs one parameterised statement (`$1`, `$2`, …) inside the transaction. Throws once the
   * `withTenant` call that made this tx has ended.
   */
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<TenantQueryResult<R>>;
}

/** The tenant a unit of work is for, resolved once by middleware. */
export interface TenantContext {
  tenantId: string;
}

/** The only way to reach a shard: one transaction per unit of work, scoped to one tenant. */
export interface TenantDatabase {
  /**
   * Runs `fn` in a transaction on the tenant's shard: `BEGIN`, then
   * `SELECT set_config('app.tenant_id', $1, true)` (transaction-local, parameterised), then
   * `fn`, then `COMMIT` — or `ROLLBACK` when `fn` throws. Row-level security policies read the
   * setting. A shard that cannot be reached fails with UNAVAILABLE `SHARD_UNAVAILABLE`.
   *
   * The shard connections are pipelined: `BEGIN`, `set_config` and the first statement of
   * `fn` go out together without waiting for each other, so a one-statement unit of work
   * costs two round trips (that batch, then `COMMIT`). Should `BEGIN` or `set_config` fail,
   * every `tx.query` of `fn` rejects with that error (never with its own result), the work is
   * rolled back and `withTenant` rejects with it — also when `fn` makes no query at all.
   * A `COMMIT` the server answers with a rollback (a statement failed and `fn` swallowed the
   * error) rejects too. Pipelined connections take plain statements only: no cursors, no
   * `rows` option.
   */
  withTenant<T>(ctx: TenantContext, fn: (tx: TenantTx) => Promise<T>): Promise<T>;
}

/** Options of {@link createTenantDatabase}. */
export interface TenantDatabaseOptions {
  router: ShardRouter;
  pools: ShardPools;
}

/** Creates the {@link TenantDatabase} of a process from its router and pools. */
export function createTenantDatabase(options: TenantDatabaseOptions): TenantDatabase {
  const acquire = acquirerOf(options.pools);
  return {
    async withTenant<T>(ctx: TenantContext, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
      if (!isUuid(ctx.tenantId)) throw invalidArgument([{ field: 'tenantId', description: 'must be a UUID' }]);
      const tenantId = ctx.tenantId.toLowerCase();
      const shard = await options.router.shardFor(tenantId);
      const client = await acquire(shard.id);
      const asAppError = (err: unknown): unknown => (isConnectionError(err) ? shardUnavailable(shard.id, err) : err);
      let broken: Error | undefined;
      let finished = false;
      // A socket error reaches the pending queries too; without a listener it would crash the process.
      const onSocketError = (err: Error): void => {
        broken = new Error('connection lost', { cause: err });
      };
      client.on('error', onSocketError);
      try {
        // Sent back to back with fn's first statement; awaited before any result is handed out.
        const preamble = Promise.all([
          client.query('BEGIN'),
          client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]),
        ]).then(() => undefined);
        preamble.catch(ignore);
        const tx: TenantTx = {
          tenantId,
          shardId: shard.id,
          async query<R extends QueryResultRow>(text: string, values: readonly unknown[] = []) {
            // A tx kept past withTenant would otherwise query a connection now serving another tenant.
            if (finished) throw new Error('TenantTx used after its withTenant call ended');
            const pending = client.query<R>(text, [...values]);
            pending.catch(ignore);
            // A failed preamble wins: the statement ran outside the tenant's transaction.
            await preamble;
            const result = await pending;
            return { rows: result.rows, rowCount: result.rowCount ?? 0 };
          },
        };
        const work = async (): Promise<T> => {
          const result = await fn(tx);
          await preamble;
          return result;
        };
        return await commitOrRollback(client, work, (err) => (broken = err));
      } catch (err) {
        if (isConnectionError(err)) broken = new Error('connection lost', { cause: err });
        throw asAppError(err);
      } finally {
        finished = true;
        client.off('error', onSocketError);
        client.release(broken);
      }
    },
  };
}
