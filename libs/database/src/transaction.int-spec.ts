import { loadDevstackEnv } from '@bulkhead/testkit';
import { Pool } from 'pg';
import { withTransaction } from './index';

describe('withTransaction on the devstack identity database', () => {
  const pool = new Pool({ connectionString: loadDevstackEnv().identityDatabase.url, max: 2 });
  pool.on('error', () => undefined);

  afterAll(() => pool.end());

  it('survives its connection being killed between statements: the work fails, the process and the pool go on', async () => {
    const work = withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Killed while checked out and idle: pg emits 'error' on the client, which must not crash the process.
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return client.query('SELECT 1');
    });
    await expect(work).rejects.toThrow();
    await expect(withTransaction(pool, (client) => client.query<{ ok: number }>('SELECT 1 AS ok'))).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });
});
