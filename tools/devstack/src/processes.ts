import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { DevstackError } from './devstack-error';

/**
 * Runs a command to completion and returns its stdout. On failure throws a
 * {@link DevstackError} with `failure` and the last line the command printed.
 */
export function run(command: string, args: readonly string[], failure: string, options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, ...options });
  if (result.error !== undefined || result.status !== 0) {
    const output = `${String(result.stderr ?? '')}\n${String(result.stdout ?? '')}`.trim().split('\n');
    const last = result.error?.message ?? output.filter((l) => l.trim() !== '').pop() ?? `exit ${result.status}`;
    throw new DevstackError(`${failure} (${last.trim()})`);
  }
  return String(result.stdout ?? '');
}

/** True when the command exists on PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Refuses to start a component on a port another process holds, naming the port and the
 * variable that moves it.
 */
export async function assertPortFree(port: number, component: string, variable: string): Promise<void> {
  if (await isPortOpen(port)) {
    throw new DevstackError(
      `port ${port} (${component}) is taken by another process: stop it, or set ${variable} to a free port`,
    );
  }
}

/** The pid recorded in `pidFile` if that process is alive. */
export function livePid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Polls `check` until it is true or `timeoutMs` passes; never sleeps longer than needed. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return check();
}

/** Sends SIGTERM, waits up to `timeoutMs` for the process to exit, then SIGKILL. */
export async function stopPid(pid: number, timeoutMs = 30_000): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  if (!(await waitFor(async () => !alive(), timeoutMs))) process.kill(pid, 'SIGKILL');
}
