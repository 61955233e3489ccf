import { loadDevstackEnv, toServiceEnvironment } from '@bulkhead/testkit';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDevstack } from './testing/devstack-cli';

/** Runs `devstack up` in its own state directory, never in containers (whose names are shared). */
function runUp(extraEnv: Record<string, string>): ReturnType<typeof runDevstack> {
  return runDevstack(['up'], { DEVSTACK_CONTAINERS: 'off', ...extraEnv });
}

function occupyFreePort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

describe('devstack up on a port held by another process', () => {
  let stateDir: string;
  let server: Server;
  let port: number;
  // The running devstack's services are passed as external ones, except the component under
  // test (blanked: "not given"), which is then started locally in a state directory of its own.
  let given: Record<string, string>;

  beforeEach(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'devstack-conflict-'));
    ({ server, port } = await occupyFreePort());
    given = toServiceEnvironment(loadDevstackEnv());
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('stops with one line naming the Redis port and DEVSTACK_REDIS_PORT, and writes no settings', async () => {
    const envFile = path.join(stateDir, 'env.json');
    const result = await runUp({ ...given, REDIS_URL: '', DEVSTACK_STATE_DIR: stateDir, DEVSTACK_ENV_FILE: envFile, DEVSTACK_REDIS_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `devstack: port ${port} (Redis) is taken by another process: stop it, or set DEVSTACK_REDIS_PORT to a free port`,
    ]);
    expect(existsSync(envFile)).toBe(false);
  });

  it('stops with one line naming the Kafka port and DEVSTACK_KAFKA_PORT', async () => {
    const result = await runUp({ ...given, KAFKA_BROKERS: '', DEVSTACK_STATE_DIR: stateDir, DEVSTACK_ENV_FILE: path.join(stateDir, 'env.json'), DEVSTACK_KAFKA_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `devstack: port ${port} (Kafka) is taken by another process: stop it, or set DEVSTACK_KAFKA_PORT to a free port`,
    ]);
  });
});
