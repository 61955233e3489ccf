import { linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './devstack-error';
import { livePid, waitFor } from './processes';

const WAIT_MS = 600_000;

/** Hard-links a file holding our pid into place: atomic, and never seen empty by another process. */
function tryAcquire(lockFile: string): boolean {
  const mine = `${lockFile}.${process.pid}`;
  writeFileSync(mine, String(process.pid));
  try {
    linkSync(mine, lockFile);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Runs `fn` while holding the state directory's lock, so two devstack commands (two shells,
 * CI and a developer, a test's `start kafka`) never start the same process twice. A lock
 * whose holder is gone is taken over; a live holder is waited for.
 */
export async function withStateLock<T>(stateDir: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  const lockFile = path.join(stateDir, 'devstack.lock');
  let announced = false;
  const acquired = await waitFor(async () => {
    if (tryAcquire(lockFile)) return true;
    // livePid removes the file when its holder is no devstack process any more.
    const holder = livePid(lockFile, 'devstack');
    if (holder === undefined) return tryAcquire(lockFile);
    if (!announced) log(`waiting for another devstack command (pid ${holder}) to finish`);
    announced = true;
    return false;
  }, WAIT_MS, 200);
  if (!acquired) throw new DevstackError(`another devstack command held ${lockFile} for ${WAIT_MS / 60_000} minutes: stop it, or delete that file`);
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
