import { loadDevstackEnv, withPgClient } from '@bulkhead/testkit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { closedLoop, type Scenario } from '../harness';
import { findPgbench, runPgbench } from './pgbench';

const ROWS = 10_000;
const SELECT = 'SELECT id, payload FROM bench_items WHERE id = $1';

/**
 * PostgreSQL point reads on one shard: `pgbench` running a custom script (the baseline every
 * later data-path benchmark compares against) vs node-postgres doing the same SELECT with the
 * same number of clients.
 */
export const pgSelectScenario: Scenario = {
  name: 'pg-select',
  description: `point SELECT by primary key on shard-0, ${ROWS} rows: pgbench vs node-postgres, same client count`,
  async prepare({ durationMs, concurrency }) {
    const env = loadDevstackEnv();
    const shard = env.shards[0];
    if (shard === undefined) throw new Error('the devstack lists no shards');
    const owner = new Pool({ connectionString: shard.ownerUrl, max: 1 });
    await owner.query(`CREATE TABLE IF NOT EXISTS bench_items (id int PRIMARY KEY, payload text NOT NULL)`);
    await owner.query(
      `INSERT INTO bench_items SELECT g, md5(g::text) FROM generate_series(1, ${ROWS}) g ON CONFLICT DO NOTHING`,
    );
    await owner.query('GRANT SELECT ON bench_items TO bulkhead_app');
    await owner.end();

    const workDir = mkdtempSync(path.join(tmpdir(), 'bulkhead-bench-'));
    const script = path.join(workDir, 'select.sql');
    writeFileSync(script, `\\set id random(1, ${ROWS})\n${SELECT.replace('$1', ':id')};\n`);
    const pgbench = findPgbench();
    const pool = new Pool({ connectionString: shard.url, max: concurrency });

    return {
      baseline: {
        name: `pgbench -c ${concurrency} -M prepared`,
        run: () => runPgbench(pgbench, shard.url, script, concurrency, durationMs),
      },
      subject: {
        name: `node-postgres pool of ${concurrency}`,
        run: () =>
          closedLoop(durationMs, concurrency, async () => {
            await pool.query({ name: 'bench-select', text: SELECT, values: [1 + Math.floor(Math.random() * ROWS)] });
          }),
      },
      async close() {
        await pool.end();
        rmSync(workDir, { recursive: true, force: true });
        // A table without tenant_id and RLS must not outlive the run: the RLS e2e spec checks every shard table.
        await withPgClient(shard.ownerUrl, (owner) => owner.query('DROP TABLE IF EXISTS bench_items'));
      },
    };
  },
};
