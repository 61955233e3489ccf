import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from './debian-packages';
import { DevstackError } from './devstack-error';
import { PORT_VARIABLES, type DevstackSettings } from './devstack-settings';
import { assertPortFree, isPortOpen, livePid, run, stopPid, waitFor } from './processes';

function paths(settings: DevstackSettings) {
  const dir = path.join(settings.stateDir, 'redis');
  return { dir, pidFile: path.join(dir, 'redis.pid'), logFile: path.join(dir, 'redis.log') };
}

/** Starts the devstack's own Redis (not Debian's service) on loopback, without persistence. */
export async function upLocalRedis(settings: DevstackSettings, log: (l: string) => void): Promise<string> {
  ensureDebianPackages(['redis-server'], log);
  const { dir, pidFile, logFile } = paths(settings);
  if (livePid(pidFile) === undefined) {
    await assertPortFree(settings.redisPort, 'Redis', PORT_VARIABLES.redis);
    mkdirSync(dir, { recursive: true });
    log(`starting Redis on port ${settings.redisPort}`);
    run(
      'redis-server',
      ['--port', String(settings.redisPort), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', dir, '--pidfile', pidFile, '--logfile', logFile, '--save', '', '--appendonly', 'no'],
      `starting Redis failed: see ${logFile}`,
    );
  }
  if (!(await waitFor(() => isPortOpen(settings.redisPort), 15_000))) {
    throw new DevstackError(`Redis did not answer on port ${settings.redisPort} within 15 s: see ${logFile}`);
  }
  return `redis://127.0.0.1:${settings.redisPort}`;
}

export async function downLocalRedis(settings: DevstackSettings, purge: boolean): Promise<void> {
  const { dir, pidFile } = paths(settings);
  const pid = livePid(pidFile);
  if (pid !== undefined) await stopPid(pid);
  if (purge) rmSync(dir, { recursive: true, force: true });
}
