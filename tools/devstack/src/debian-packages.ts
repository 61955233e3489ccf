import { spawnSync } from 'node:child_process';
import { DevstackError } from './devstack-error';
import { run } from './processes';

function isInstalled(pkg: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
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
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    log('apt-get update');
    run('apt-get', ['update', '-q'], 'apt-get update failed: check the network and /etc/apt/sources.list', { env });
    updated = true;
  }
  for (const pkg of missing) {
    log(`apt-get install ${pkg}`);
    run(
      'apt-get',
      ['install', '-y', '-q', '--no-install-recommends', pkg],
      `installing the Debian package ${pkg} failed: run "apt-get install ${pkg}" to see why`,
      { env },
    );
  }
}
