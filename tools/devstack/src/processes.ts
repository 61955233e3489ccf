import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { DevstackError } from './devstack-error';

/**
 * Runs a command to completion and returns its stdout. On failure throws a
 * {@link DevstackError} with `failure` and the last line the command printed.
 */
export function run(command: string, args: readonly string[], failure: string, options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, ...options });
  if (result.error !== undefined || result.status !== 0) {
    const output = `${String(result.stderr ?? '')}\n${String(result.stdout ?? '')}`.split('\n').filter((l) => l.trim() !== '');
    const last = result.error?.message ?? output.pop() ?? `exit ${String(result.status)}`;
    throw new DevstackError(`${failure} (${last.trim()})`);
  }
  return String(result.stdout ?? '');
}

/** True when the command exists on PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * The pid recorded in `pidFile` if that process is alive AND its command line contains
 * `marker`: after a reboot a stale pid file can name an unrelated process, which must never
 * be taken for ours (nor be signalled by `down`). A stale pid file is removed.
 */
export function livePid(pidFile: string, marker: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && commandLine(pid).includes(marker)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

/** The command line of a live process, `''` when it is gone. */
export function processCommandLine(pid: number): string {
  return isAlive(pid) ? commandLine(pid) : '';
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
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (await waitFor(async () => !isAlive(pid), timeoutMs)) return;
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => !isAlive(pid), 5_000);
}
