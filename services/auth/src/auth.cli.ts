import { Pool } from 'pg';
import type { AuthConfig } from './auth.config';
import { rotateSigningKey } from './signing-keys/key-ring';
import { createPgSigningKeyStore } from './signing-keys/pg-signing-key.store';

const USAGE = 'usage: main.js [rotate-signing-key]   (no command: run the service)';

/**
 * Operator commands run with the service's own configuration (`kubectl exec deploy/auth --
 * node dist/services/auth/main.js rotate-signing-key`). Returns the exit code.
 */
export async function runAuthCommand(command: string, config: AuthConfig): Promise<number> {
  if (command !== 'rotate-signing-key') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 64;
  }
  const pool = new Pool({ connectionString: config.IDENTITY_DATABASE_URL, max: 1 });
  try {
    const key = await rotateSigningKey(createPgSigningKeyStore(pool, config.SIGNING_KEY_ENCRYPTION_KEY), {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      activationDelaySeconds: config.SIGNING_KEY_ACTIVATION_DELAY_SECONDS,
    });
    process.stdout.write(
      `new signing key ${key.kid}: published at each replica's next reload, signs from ${new Date(key.createdAt.getTime() + config.SIGNING_KEY_ACTIVATION_DELAY_SECONDS * 1000).toISOString()}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`rotate-signing-key failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await pool.end();
  }
}
