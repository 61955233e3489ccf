import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from './debian-packages';
import { DevstackError } from './devstack-error';
import { PORT_VARIABLES, type DevstackSettings } from './devstack-settings';
import { assertPortFree, isPortOpen } from './ports';
import { livePid, processCommandLine, run, stopPid, waitFor } from './processes';

function paths(settings: DevstackSettings) {
  const dir = path.join(settings.stateDir, 'redis');
  return { dir, pidFile: path.join(dir, 'redis.pid'), logFile: path.join(dir, 'redis.log') };
}

/** Our redis-server, found through its pid file (its process title is `redis-server host:port`). */
function ourRedis(settings: DevstackSettings): number | undefined {
  return livePid(paths(settings).pidFile, 'redis-server');
}

/**
 * Starts the devstack's own Redis (not Debian's service: there is no init system to rely on)
 * on loopback, with an append-only file as the chart's Redis has (k8s/redis): a revoked session
 * must stay revoked across a Redis restart. Returns its URL once it accepts connections.
 */
export async function upLocalRedis(settings: DevstackSettings, log: (l: string) => void): Promise<string> {
  ensureDebianPackages(['redis-server'], log);
  const { dir, pidFile, logFile } = paths(settings);
  let pid = ourRedis(settings);
  if (pid !== undefined && !new RegExp(`:${settings.redisPort}(\\s|$)`).test(processCommandLine(pid))) {
    // Ours, but on the port of an earlier DEVSTACK_REDIS_PORT: move it.
    await assertPortFree(settings.redisPort, 'Redis', PORT_VARIABLES.redis);
    log(`moving Redis to port ${settings.redisPort}`);
    await stopPid(pid);
    pid = undefined;
  }
  if (pid === undefined) {
    await assertPortFree(settings.redisPort, 'Redis', PORT_VARIABLES.redis);
    mkdirSync(dir, { recursive: true });
    log(`starting Redis on port ${settings.redisPort}`);
    run(
      'redis-server',
      ['--port', String(settings.redisPort), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', dir, '--pidfile', pidFile, '--logfile', logFile, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'],
      `starting Redis failed: see ${logFile}`,
    );
  }
  if (!(await waitFor(() => isPortOpen(settings.redisPort), 15_000))) {
    throw new DevstackError(`Redis did not answer on port ${settings.redisPort} within 15 s: see ${logFile}`);
  }
  return `redis://127.0.0.1:${settings.redisPort}`;
}

/** Stops the devstack's Redis if it runs; `purge` also deletes its folder. */
export async function downLocalRedis(settings: DevstackSettings, purge: boolean): Promise<void> {
  const pid = ourRedis(settings);
  if (pid !== undefined) await stopPid(pid);
  if (purge) rmSync(paths(settings).dir, { recursive: true, force: true });
}
