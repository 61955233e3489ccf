import { envFields, loadConfigOrExit } from '@bulkhead/config';
import { Pool } from 'pg';
import { AdminError, parseAdminArgs, runAdminCommand, USAGE, UsageError } from './platform-admin';

// `npm run platform-admin -- grant|revoke|list …`: operators grant and revoke platform roles.
// Exit status: 0 done, 1 refused (unknown user, nothing to change) or failed, 64 bad usage,
// 78 bad configuration.
async function main(): Promise<void> {
  let command;
  try {
    command = parseAdminArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`platform-admin: ${err.message}\n${USAGE}\n`);
    process.exitCode = 64;
    return;
  }
  const config = loadConfigOrExit('platform-admin', { IDENTITY_DATABASE_OWNER_URL: envFields.url(['postgres', 'postgresql']) });
  const pool = new Pool({ connectionString: config.IDENTITY_DATABASE_OWNER_URL, max: 1, connectionTimeoutMillis: 5000 });
  try {
    await runAdminCommand(pool, command, (line) => process.stdout.write(`${line}\n`));
  } catch (err) {
    process.stderr.write(`platform-admin: ${err instanceof AdminError ? err.message : `failed: ${err instanceof Error ? err.message : String(err)}`}\n`);
    process.exitCode = 1;
  } finally {
    await pool.end();
  }
}

void main();
