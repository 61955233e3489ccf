import { loadDevstackEnv, migrateDevstack, toServiceEnvironment, withPgClient } from '@bulkhead/testkit';

const devstack = loadDevstackEnv();
const placementUrl = toServiceEnvironment(devstack)['PLACEMENT_DATABASE_URL'] ?? '';

describe('the placement reader (what the sharded services log in to the identity database as)', () => {
  beforeAll(() => {
    migrateDevstack(devstack);
  });

  it('is its own role, not the service role', () => {
    expect(decodeURIComponent(new URL(placementUrl).username)).toBe('bulkhead_placement_reader');
  });

  it('reads tenant placements, and nothing else of the identity database, and writes nothing', async () => {
    await withPgClient(placementUrl, async (pg) => {
      await expect(pg.query('SELECT count(*) FROM tenant_placements')).resolves.toMatchObject({ rowCount: 1 });
      for (const statement of ['SELECT * FROM users LIMIT 1', 'SELECT * FROM api_keys LIMIT 1', 'SELECT * FROM memberships LIMIT 1', 'SELECT * FROM audit_outbox LIMIT 1']) {
        await expect(pg.query(statement)).rejects.toThrow(/permission denied/);
      }
      await expect(pg.query("INSERT INTO tenant_placements (tenant_id, shard_id) VALUES (gen_random_uuid(), 'shard-0')")).rejects.toThrow(/permission denied/);
    });
  });
});
