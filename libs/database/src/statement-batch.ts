import pg, { Query, type Client, type Connection, type QueryResult, type QueryResultRow } from 'pg';

/** One parameterised statement of a {@link sendBatch}. */
export interface BatchStatement {
  text: string;
  values: readonly unknown[];
  /** Prepares the statement under this name once per connection (for statements sent constantly). */
  name?: string;
}

// pg's own serialisation of parameter values (Dates, Buffers, arrays, JSON); missing from its type definitions.
const { prepareValue } = (pg as unknown as { utils: { prepareValue(value: unknown): string | Buffer | null } }).utils;

/** Named statements kept prepared on one connection; past this the least recently used is closed. */
const PREPARED_PER_CONNECTION = 200;

/**
 * The named statements each connection is known to hold (recorded once a batch that parsed them
 * succeeded), least recently used first, and those evicted that the server still holds (closed at
 * the start of the connection's next batch).
 */
const prepared = new WeakMap<Connection, { known: Map<string, true>; closing: string[] }>();

const preparedOn = (connection: Connection): { known: Map<string, true>; closing: string[] } => {
  let state = prepared.get(connection);
  if (state === undefined) {
    state = { known: new Map(), closing: [] };
    prepared.set(connection, state);
  }
  return state;
};

/**
 * Forgets what `client`'s connection holds prepared, so its next batch closes them all and
 * parses every named statement afresh (after the server refused one: a schema change altered
 * its result type, or the session dropped it).
 */
export function forgetPreparedStatements(client: Client): void {
  const state = preparedOn((client as unknown as { connection: Connection }).connection);
  state.closing.push(...state.known.keys());
  state.known.clear();
}

/**
 * Statements written as one extended-protocol message train (Parse/Bind/Describe/Execute each)
 * closed by a single Sync: the server answers them in one go, and the first failure skips the
 * rest. Results come back as text (a client's `binary` option does not apply). A subclass of
 * pg's `Query`, so pipelined connections accept it.
 */
class StatementBatch extends Query {
  constructor(statements: readonly BatchStatement[], callback: (err: Error | undefined, results: QueryResult[]) => void) {
    let parsing: { names: Set<string>; connection: Connection } | undefined;
    super({ text: statements.map((s) => s.text).join('; ') }, (err, results) => {
      if (!err && parsing !== undefined && parsing.names.size > 0) {
        const state = preparedOn(parsing.connection);
        for (const name of parsing.names) state.known.set(name, true);
        for (const name of state.known.keys()) {
          if (state.known.size <= PREPARED_PER_CONNECTION) break;
          state.known.delete(name);
          state.closing.push(name);
        }
      }
      // pg hands over one result, or an array once a second statement completed.
      callback(err, (Array.isArray(results) ? results : [results]) as QueryResult[]);
    });
    this.submit = (connection: Connection): Error | null => {
      const state = preparedOn(connection);
      const { known } = state;
      parsing = { connection, names: new Set() };
      let bound: Array<Array<string | Buffer | null>>;
      try {
        bound = statements.map((s) => s.values.map((value) => prepareValue(value)));
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
      connection.stream.cork();
      try {
        for (const name of state.closing.splice(0)) connection.close({ type: 'S', name }, true);
        statements.forEach((statement, i) => {
          const name = statement.name ?? '';
          if (name !== '' && known.delete(name)) {
            known.set(name, true); // the most recently used now
          } else {
            // Closing a statement that does not exist is no error: this also clears one whose batch failed.
            if (name !== '') connection.close({ type: 'S', name }, true);
            connection.parse({ text: statement.text, name, types: [] }, true);
            if (name !== '') parsing?.names.add(name);
          }
          connection.bind({ portal: '', statement: name, values: bound[i] ?? [] }, true);
          connection.describe({ type: 'P', name: '' }, true);
          connection.execute({ portal: '' }, true);
        });
        connection.sync();
      } finally {
        connection.stream.uncork();
      }
      return null;
    };
  }
}

/**
 * Sends `statements` on `client` as one batch with a single Sync (one round trip, one implicit
 * transaction unless a statement opens an explicit one) and resolves with one result per
 * statement, or rejects with the first failure.
 */
export function sendBatch(client: Client, statements: readonly BatchStatement[]): Promise<Array<QueryResult<QueryResultRow>>> {
  return new Promise((resolve, reject) => {
    client.query(new StatementBatch(statements, (err, results) => (err ? reject(err) : resolve(results))));
  });
}
