import { spawnSync } from 'node:child_process';
import { DevstackError } from './devstack-error';

function isInstalled(pkg: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

/** What apt says went wrong: its first `E:` line, else its last line. */
export function aptFailure(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => l.startsWith('E:'))?.replace(/^E:\s*/, '') ?? lines.pop() ?? 'no output';
}

function apt(args: readonly string[], failure: string): void {
  const result = spawnSync('apt-get', args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.error !== undefined || result.status !== 0) {
    throw new DevstackError(failure.replace('%s', result.error?.message ?? aptFailure(`${result.stderr}\n${result.stdout}`)));
  }
}

let updated = false;

/**
 * Installs the Debian packages that are missing (as root, non-interactively). Each failure
 * names the package and the command to run by hand.
 */
export function ensureDebianPackages(packages: readonly string[], log: (line: string) => void): void {
  const missing = packages.filter((pkg) => !isInstalled(pkg));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new DevstackError(`missing Debian packages ${missing.join(' ')}: install them as root (apt-get install ${missing.join(' ')})`);
  }
  if (!updated) {
    log('apt-get update');
    apt(['update', '-q'], `apt-get update failed (%s), so ${missing.join(' ')} cannot be installed: check the network and /etc/apt/sources.list`);
    updated = true;
  }
  for (const pkg of missing) {
    log(`apt-get install ${pkg}`);
    apt(['install', '-y', '-q', '--no-install-recommends', pkg], `installing the Debian package ${pkg} failed (%s): run "apt-get install ${pkg}" to see why`);
  }
}
