import { withTransaction } from '@bulkhead/database';
import type { Logger, Registry } from '@bulkhead/observability';
import type { LoopBody, Supervisor } from '@bulkhead/service-runtime';
import { Pool } from 'pg';
import { Counter, Gauge } from 'prom-client';
import { createRelayProducer } from './relay-producer';

/** A database holding an `audit_outbox`: a shard (its id) or the identity database (`identity`). */
export interface OutboxSource {
  id: string;
  /** As the service role. */
  url: string;
}

export interface OutboxRelayOptions {
  sources: readonly OutboxSource[];
  /** The Kafka bootstrap brokers of the relay's producer. */
  brokers: readonly string[];
  clientId: string;
  topic: string;
  /** The most rows one transaction claims and produces. */
  batchSize: number;
  /** The wait after finding an outbox empty. */
  pollIntervalMs: number;
  logger: Logger;
  registry: Registry;
  /** Runs each source's loop as `audit-relay:<source id>`, restarting it with backoff after a failed batch. */
  supervisor: Supervisor;
}

/** The running relay. */
export interface OutboxRelay {
  /** Closes the pools and the producer; the supervisor has stopped the loops before. */
  stop(): Promise<void>;
}

/** How often, at most, a loop that keeps finding full batches counts the rest of its backlog. */
const BACKLOG_COUNT_INTERVAL_MS = 1000;

/**
 * Claims the oldest rows (walking the `(created_at, id)` index) and deletes them in one
 * statement; the transaction stays open while they are produced, so a failed produce rolls the
 * delete back and the rows stay. The delete finds the claimed rows by their physical address
 * (`ctid`, stable while this transaction holds their locks): joining back on the key, under the
 * row-level-security filter, let the planner pick a scan per row. The payload comes back as
 * text, produced as it is (no parse and re-serialisation per row).
 */
const CLAIM = `
  WITH claimed AS (
    SELECT ctid FROM audit_outbox ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM audit_outbox WHERE ctid = ANY (ARRAY(SELECT ctid FROM claimed))
    RETURNING tenant_id, id, payload, created_at
  )
  SELECT tenant_id, id, payload::text AS payload FROM deleted ORDER BY created_at, id`;

/** Whether the outbox holds a row, in one round trip and no transaction: how an idle loop polls. */
const PEEK = 'SELECT 1 FROM audit_outbox ORDER BY created_at, id LIMIT 1';

interface OutboxRow {
  tenant_id: string;
  id: string;
  payload: string;
}

/**
 * Starts one relay loop per outbox source (DESIGN "Audit pipeline", ADR 0005), on its own
 * connection with `app.audit_relay` on. Each loop, in a transaction: claims and deletes the
 * oldest rows (`FOR UPDATE SKIP LOCKED`, so replicas share the work), produces them to `topic`
 * keyed by tenant id with the envelope as value and header `event-id`, and commits. A batch that
 * is not full emptied the outbox: the loop waits `pollIntervalMs`, then peeks (one statement, no
 * transaction) and waits again until a row shows up.
 * A Kafka or database failure rolls the batch back (the rows stay) and ends the loop's body: the
 * supervisor logs why, reports the loop down and starts it again with backoff (ADR 0012); a
 * source that is down stalls only its own loop. Rows produced whose COMMIT then fails are
 * produced again: at least once, and the compliance-log consumer drops ids it already logged.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { topic, batchSize, pollIntervalMs, logger } = options;
  const producer = createRelayProducer({ brokers: options.brokers, clientId: options.clientId });
  const metrics = createRelayMetrics(options.registry);

  const pause = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });

  const relayLoop =
    (source: OutboxSource, pool: Pool): LoopBody =>
    async ({ signal, running }) => {
      let lastCount = 0;
      // Whether the last batch emptied the outbox: the next looks before it opens a transaction.
      let drained = false;
      while (!signal.aborted) {
        try {
          if (drained && !(await pool.query(PEEK)).rowCount) {
            running();
            await pause(pollIntervalMs, signal);
            continue;
          }
          const relayed = await withTransaction(pool, async (client) => {
            const { rows } = await client.query<OutboxRow>(CLAIM, [batchSize]);
            if (rows.length === 0) return 0;
            await producer.send(
              topic,
              rows.map((row) => ({ key: row.tenant_id, value: row.payload, headers: { 'event-id': row.id } })),
            );
            if (rows.length < batchSize) metrics.backlog.set({ source: source.id }, 0);
            else if (Date.now() - lastCount >= BACKLOG_COUNT_INTERVAL_MS) {
              lastCount = Date.now();
              const { rows: counted } = await client.query<{ count: string }>('SELECT count(*) AS count FROM audit_outbox');
              metrics.backlog.set({ source: source.id }, Number(counted[0]?.count ?? 0));
            }
            return rows.length;
          });
          running();
          if (relayed === 0) metrics.backlog.set({ source: source.id }, 0);
          else metrics.relayed.inc({ source: source.id }, relayed);
          // A partial batch emptied the outbox: waiting lets the next one gather rows instead of
          // relaying a steady trickle of writes one tiny transaction (and produce) after another.
          drained = relayed < batchSize;
          if (drained) await pause(pollIntervalMs, signal);
        } catch (err) {
          metrics.failures.inc({ source: source.id });
          throw err;
        }
      }
    };

  const pools = options.sources.map((source) => {
    // app.audit_relay is on for the whole session: these connections are the relay's alone.
    const pool = new Pool({ connectionString: source.url, max: 1, connectionTimeoutMillis: 2000, options: '-c app.audit_relay=on' });
    // Reported by the loop when its next batch fails; an unheard 'error' would crash the process.
    pool.on('error', (err) => logger.debug({ err, source: source.id }, 'idle outbox connection failed'));
    pool.on('connect', (client) => client.on('error', (err) => logger.debug({ err, source: source.id }, 'outbox connection lost')));
    return pool;
  });
  options.sources.forEach((source, index) => options.supervisor.supervise(`audit-relay:${source.id}`, relayLoop(source, pools[index] as Pool)));

  return {
    stop: async () => {
      await Promise.all([...pools.map((pool) => pool.end()), producer.disconnect()]);
    },
  };
}

interface RelayMetrics {
  relayed: Counter<'source'>;
  failures: Counter<'source'>;
  backlog: Gauge<'source'>;
}

function createRelayMetrics(registry: Registry): RelayMetrics {
  return {
    relayed: new Counter({
      name: 'bulkhead_audit_relay_events_total',
      help: 'Outbox events produced to the audit topic and deleted, by source (shard id or identity).',
      labelNames: ['source'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'bulkhead_audit_relay_failures_total',
      help: 'Relay batches rolled back because Kafka or the source database failed, by source.',
      labelNames: ['source'],
      registers: [registry],
    }),
    backlog: new Gauge({
      name: 'bulkhead_audit_relay_backlog',
      help: 'Outbox rows waiting to be relayed at the last full batch (0 once a batch was not full), by source.',
      labelNames: ['source'],
      registers: [registry],
    }),
  };
}
