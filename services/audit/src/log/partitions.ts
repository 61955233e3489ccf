import type { Logger } from '@bulkhead/observability';
import type { Pool } from 'pg';

const DAY_MS = 24 * 3600 * 1000;

/** How many months from the current one get their partition ahead of time. */
export const PARTITION_MONTHS_AHEAD = 3;

/**
 * Creates the partitions of this month and the next ones (through the owner's SECURITY
 * DEFINER function: the service role has no DDL rights) now and then daily. A failure at start
 * fails the start; a later one is logged (rows land in the default partition meanwhile).
 */
export async function keepPartitionsReady(pool: Pool, logger: Logger): Promise<{ stop(): void }> {
  const ensure = async (): Promise<void> => {
    const { rows } = await pool.query<{ created: number }>('SELECT audit_ensure_partitions(now(), $1) AS created', [PARTITION_MONTHS_AHEAD]);
    const created = rows[0]?.created ?? 0;
    if (created > 0) logger.info({ created }, 'compliance-log partitions created');
  };
  await ensure();
  const timer = setInterval(() => {
    ensure().catch((err: unknown) => logger.warn({ err }, 'creating the coming compliance-log partitions failed'));
  }, DAY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
