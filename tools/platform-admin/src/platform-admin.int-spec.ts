import { randomUUID } from 'node:crypto';
import { uuidv7 } from '@bulkhead/database';
import { loadDevstackEnv, migrateDevstack } from '@bulkhead/testkit';
import { Pool } from 'pg';
import { AdminError, runAdminCommand } from './platform-admin';

// Against the devstack's real identity database, as the operator (owner role) would.
const devstack = loadDevstackEnv();
const owner = new Pool({ connectionString: devstack.identityDatabase.ownerUrl, max: 2 });
const app = new Pool({ connectionString: devstack.identityDatabase.url, max: 1 });

async function newUser(): Promise<{ id: string; email: string }> {
  const user = { id: uuidv7(), email: `platform-admin-${randomUUID()}@example.com` };
  await owner.query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Officer', 'x')", [user.id, user.email]);
  return user;
}

async function run(command: Parameters<typeof runAdminCommand>[1]): Promise<string[]> {
  const lines: string[] = [];
  await runAdminCommand(owner, command, (line) => lines.push(line));
  return lines;
}

const grantsOf = async (userId: string) =>
  (await owner.query('SELECT role, granted_by, revoked_by, revoked_at FROM platform_role_grants WHERE user_id = $1 ORDER BY granted_at', [userId])).rows;

beforeAll(() => migrateDevstack(devstack));
afterAll(async () => {
  await owner.end();
  await app.end();
});

describe('platform-admin', () => {
  it('grants, refuses a second live grant, revokes, and records who did each', async () => {
    const user = await newUser();
    const granted = await run({ kind: 'grant', role: 'compliance', email: user.email.toUpperCase(), operator: 'ops-jo' });
    expect(granted[0]).toMatch(new RegExp(`^granted compliance to .* \\(user ${user.id}\\) by ops-jo at `));
    await expect(run({ kind: 'grant', role: 'compliance', email: user.email, operator: 'ops-jo' })).rejects.toThrow(/already holds compliance/);
    expect((await run({ kind: 'list', includeRevoked: false })).some((line) => line.includes(user.email) && line.endsWith('live'))).toBe(true);

    const revoked = await run({ kind: 'revoke', role: 'compliance', email: user.email, operator: 'ops-sam' });
    expect(revoked[0]).toMatch(/^revoked compliance from .* by ops-sam at /);
    expect(await grantsOf(user.id)).toEqual([{ role: 'compliance', granted_by: 'ops-jo', revoked_by: 'ops-sam', revoked_at: expect.any(Date) }]);
    await expect(run({ kind: 'revoke', role: 'compliance', email: user.email, operator: 'ops-sam' })).rejects.toThrow(AdminError);
    expect((await run({ kind: 'list', includeRevoked: false })).some((line) => line.includes(user.email))).toBe(false);
    expect((await run({ kind: 'list', includeRevoked: true })).some((line) => line.includes(user.email) && line.includes('revoked by ops-sam'))).toBe(true);

    // A new grant after a revocation is a new row: the history stays.
    await run({ kind: 'grant', role: 'compliance', email: user.email, operator: 'ops-jo' });
    expect(await grantsOf(user.id)).toHaveLength(2);
  });

  it('refuses an unknown email and changes nothing', async () => {
    const email = `nobody-${randomUUID()}@example.com`;
    await expect(run({ kind: 'grant', role: 'compliance', email, operator: 'ops-jo' })).rejects.toThrow(`no user has the email ${email}`);
  });

  it('the service role (what every API route runs as) can read grants but never write them', async () => {
    const user = await newUser();
    await expect(app.query('SELECT count(*) FROM platform_role_grants WHERE user_id = $1', [user.id])).resolves.toBeDefined();
    await expect(
      app.query("INSERT INTO platform_role_grants (id, user_id, role, granted_by) VALUES ($1, $2, 'compliance', 'api')", [uuidv7(), user.id]),
    ).rejects.toThrow(/permission denied/);
    await run({ kind: 'grant', role: 'compliance', email: user.email, operator: 'ops-jo' });
    await expect(app.query('UPDATE platform_role_grants SET revoked_at = NULL WHERE user_id = $1', [user.id])).rejects.toThrow(/permission denied/);
    await expect(app.query('DELETE FROM platform_role_grants WHERE user_id = $1', [user.id])).rejects.toThrow(/permission denied/);
  });
});
