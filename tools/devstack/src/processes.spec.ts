import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { livePid, stopPid } from './processes';

describe('livePid', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'devstack-pid-'));

  it('finds our live process by its command line', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'devstack-pid-marker']);
    const pidFile = path.join(dir, 'ours.pid');
    writeFileSync(pidFile, String(child.pid));
    try {
      expect(livePid(pidFile, 'devstack-pid-marker')).toBe(child.pid);
    } finally {
      await stopPid(child.pid ?? -1, 5_000);
    }
    expect(livePid(pidFile, 'devstack-pid-marker')).toBeUndefined();
  });

  it('does not take an unrelated live process for ours, and drops the stale pid file', () => {
    const pidFile = path.join(dir, 'stale.pid');
    writeFileSync(pidFile, String(process.pid));
    expect(livePid(pidFile, 'redis-server')).toBeUndefined();
    expect(existsSync(pidFile)).toBe(false);
  });

  it('ignores garbage', () => {
    const pidFile = path.join(dir, 'garbage.pid');
    writeFileSync(pidFile, 'not a pid');
    expect(livePid(pidFile, 'x')).toBeUndefined();
  });
});
