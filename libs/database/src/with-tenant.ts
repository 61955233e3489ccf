import { BoundedMap } from '@bulkhead/bounded-map';
import { createHash } from 'node:crypto';
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { isUuid } from './jump-hash';
import type { ShardRouter } from './shard-router';
import { acquirerOf, type ShardPools } from './shard-pools';
import { isConnectionError, shardUnavailable } from './shard-unavailable';
import { forgetPreparedStatements, sendBatch, type BatchStatement } from './statement-batch';
import { commitOrRollback } from './transaction';
import { invalidArgument } from '@bulkhead/errors';

const ignore = (): void => undefined;
const SET_TENANT = "SELECT set_config('app.tenant_id', $1, true)";

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
  /**
   * Queues a statement whose result nobody reads (an outbox insert): it is sent with `COMMIT`,
   * in the same round trip. Should it fail, the unit rolls back and `withTenant` rejects with
   * its error.
   */
  atCommit(text: string, values?: readonly unknown[]): void;
}

/** The statements of a {@link TenantTx}: what code needs that runs inside `withTenant` or as one statement. */
export type TenantQuery = Pick<TenantTx, 'tenantId' | 'query'>;

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
   * One unit of work costs two round trips: `BEGIN`, `set_config` and the first statement of
   * `fn` go out as one batch (one Sync; the shard connections are pipelined, so later
   * statements are written without waiting either), then `COMMIT`. Should `BEGIN` or
   * `set_config` fail, the first statement is skipped and every `tx.query` rejects with that
   * error, the work is rolled back and `withTenant` rejects with it. A `fn` that makes no query
   * still gets its transaction. A `COMMIT` that the server answers with a rollback (a statement
   * failed and `fn` swallowed the error) rejects too. Pipelined connections take plain
   * statements only: no cursors, no `rows` option.
   *
   * Every statement is prepared on each connection under the hash of its text, so it is parsed,
   * rewritten (row-level security) and planned once per connection, not on every call. Should a
   * schema change have made one stale (the server refuses it; the unit rolls back), the
   * connection's statements are parsed afresh and `fn` runs once more: what `fn` does outside
   * its transaction should bear repeating.
   */
  withTenant<T>(ctx: TenantContext, fn: (tx: TenantTx) => Promise<T>): Promise<T>;

  /**
   * Runs one statement as a unit of work of its own, in one round trip: `set_config` and the
   * statement go out as one batch, which PostgreSQL runs as one implicit transaction (committed
   * at its Sync, rolled back on any failure). The same isolation as
   * `withTenant(ctx, (tx) => tx.query(text, values))` for half the round trips: the fast path
   * for single reads and single writes. The statement is prepared on each connection under the
   * hash of its text, so a statement sent again is not parsed, rewritten and planned again.
   */
  queryWithTenant<R extends QueryResultRow = QueryResultRow>(
    ctx: TenantContext,
    text: string,
    values?: readonly unknown[],
  ): Promise<TenantQueryResult<R>>;
}

/** Options of {@link createTenantDatabase}. */
export interface TenantDatabaseOptions {
  router: ShardRouter;
  pools: ShardPools;
}

/** A checked-out shard connection for one tenant, and how to mark it unusable. */
interface TenantConnection {
  client: PoolClient;
  tenantId: string;
  shardId: string;
  markBroken(err: Error): void;
}

/**
 * One transaction of `fn` on the tenant's connection. The transaction opens with fn's first
 * statement, in one batch: BEGIN, set_config, statement. Every statement is prepared on the
 * connection under the hash of its text.
 */
async function unitOfWork<T>({ client, tenantId, shardId, markBroken }: TenantConnection, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
  let finished = false;
  const atCommit: BatchStatement[] = [];
  let opened: Promise<Array<QueryResult<QueryResultRow>>> | undefined;
  const open = (first: BatchStatement[]) => {
    opened = sendBatch(client, [{ text: 'BEGIN', values: [] }, { text: SET_TENANT, values: [tenantId], name: 'bulkhead_set_tenant' }, ...first]);
    opened.catch(ignore);
    return opened;
  };
  const tx: TenantTx = {
    tenantId,
    shardId,
    async query<R extends QueryResultRow>(text: string, values: readonly unknown[] = []) {
      // A tx kept past withTenant would otherwise query a connection now serving another tenant.
      if (finished) throw new Error('TenantTx used after its withTenant call ended');
      const statement = { text, values, name: statementNameOf(text) };
      if (opened === undefined) return resultOf<R>((await open([statement]))[2]);
      const pending = sendBatch(client, [statement]);
      pending.catch(ignore);
      // A failed opening batch wins: this statement ran outside the tenant's transaction.
      await opened;
      return resultOf<R>((await pending)[0]);
    },
    atCommit(text, values = []) {
      if (finished) throw new Error('TenantTx used after its withTenant call ended');
      atCommit.push({ text, values, name: statementNameOf(text) });
    },
  };
  // The queued statements and COMMIT in one batch; with the opening one when fn made no query.
  const commit = async (): Promise<QueryResult<QueryResultRow>> => {
    const ending = [...atCommit, { text: 'COMMIT', values: [] }];
    const results = opened === undefined ? await open(ending) : (await opened, await sendBatch(client, ending));
    const committed = results.at(-1);
    if (committed === undefined) throw new Error('the statement batch returned too few results');
    return committed;
  };
  try {
    return await commitOrRollback(client, () => fn(tx), markBroken, commit);
  } finally {
    finished = true;
  }
}

/** Creates the {@link TenantDatabase} of a process from its router and pools. */
export function createTenantDatabase(options: TenantDatabaseOptions): TenantDatabase {
  const acquire = acquirerOf(options.pools);

  /** Checks out the tenant's shard connection for `use`; maps connection failures to SHARD_UNAVAILABLE. */
  const onTenantConnection = async <T>(ctx: TenantContext, use: (connection: TenantConnection) => Promise<T>): Promise<T> => {
    if (!isUuid(ctx.tenantId)) throw invalidArgument([{ field: 'tenantId', description: 'must be a UUID' }]);
    const tenantId = ctx.tenantId.toLowerCase();
    const shard = await options.router.shardFor(tenantId);
    const client = await acquire(shard.id);
    let broken: Error | undefined;
    const markBroken = (err: Error): void => {
      broken = err;
    };
    // A socket error reaches the pending queries too; without a listener it would crash the process.
    const onSocketError = (err: Error): void => markBroken(new Error('connection lost', { cause: err }));
    client.on('error', onSocketError);
    try {
      return await use({ client, tenantId, shardId: shard.id, markBroken });
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      markBroken(new Error('connection lost', { cause: err }));
      throw shardUnavailable(shard.id, err);
    } finally {
      client.off('error', onSocketError);
      client.release(broken);
    }
  };

  return {
    withTenant<T>(ctx: TenantContext, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
      return onTenantConnection(ctx, async (connection) => {
        try {
          return await unitOfWork(connection, fn);
        } catch (err) {
          // A schema change made a statement prepared on this connection stale: the server
          // refused it and the unit was rolled back. Parse every statement again and run it once more.
          if (!isStalePreparedStatement(err)) throw err;
          forgetPreparedStatements(connection.client);
          return unitOfWork(connection, fn);
        }
      });
    },

    queryWithTenant<R extends QueryResultRow = QueryResultRow>(ctx: TenantContext, text: string, values: readonly unknown[] = []) {
      return onTenantConnection(ctx, async ({ client, tenantId }) => {
        const batch = [{ text: SET_TENANT, values: [tenantId], name: 'bulkhead_set_tenant' }, { text, values, name: statementNameOf(text) }];
        let results: Array<QueryResult<QueryResultRow>>;
        try {
          results = await sendBatch(client, batch);
        } catch (err) {
          // Refused before anything ran (the batch is one implicit transaction): parse again, once.
          if (!isStalePreparedStatement(err)) throw err;
          forgetPreparedStatements(client);
          results = await sendBatch(client, batch);
        }
        return resultOf<R>(results[1]);
      });
    },
  };
}

/** Statement texts whose prepared-statement name is known; past this the oldest is forgotten. */
const NAMED_TEXTS_KEPT = 1000;
const statementNames = new BoundedMap<string, string>(NAMED_TEXTS_KEPT);

/**
 * The name a single statement is prepared under on each connection (the hash of its text): the
 * server then parses, rewrites (row-level security) and plans it once per connection, not on every
 * call. Connections keep a bounded number of them (statement-batch.ts).
 */
function statementNameOf(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `bulkhead_${createHash('sha1').update(text).digest('hex')}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * The server's refusals of a prepared statement that parsing it again cures: its result type
 * changed with the schema (0A000 "cached plan must not change result type"), or the session no
 * longer holds it (26000).
 */
function isStalePreparedStatement(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '26000' || (code === '0A000' && err instanceof Error && err.message.includes('cached plan'));
}

function resultOf<R extends QueryResultRow>(result: QueryResult<QueryResultRow> | undefined): TenantQueryResult<R> {
  if (result === undefined) throw new Error('the statement batch returned too few results');
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}

/**
 * A {@link TenantQuery} whose every statement is a unit of work of its own
 * ({@link TenantDatabase.queryWithTenant}: one round trip, no COMMIT): for a read of one statement
 * written against a `TenantQuery`, with the isolation `withTenant` would give it.
 */
export function singleStatements(db: TenantDatabase, ctx: TenantContext): TenantQuery {
  return {
    tenantId: ctx.tenantId.toLowerCase(),
    query: <R extends QueryResultRow>(text: string, values?: readonly unknown[]) => db.queryWithTenant<R>(ctx, text, values),
  };
}
