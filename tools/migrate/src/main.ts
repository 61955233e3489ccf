import { loadConfigOrExit } from '@bulkhead/config';
import { migrateConfigShape, runMigrate } from './migrate';

// The migration job (helm/bulkhead) and `npm run migrate`: every service's migrations, applied
// to the shards, the identity database and the compliance log. Exit status 78 for invalid
// configuration, 1 for a failed migration.
const config = loadConfigOrExit('migrate', migrateConfigShape);

runMigrate(config, (line) => process.stdout.write(`${line}\n`)).catch((err: unknown) => {
  process.stderr.write(`migrate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
