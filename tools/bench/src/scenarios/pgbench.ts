import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { WorkloadResult } from '../harness';

/** The pgbench of the newest PostgreSQL the devstack installed. */
export function findPgbench(): string {
  const root = '/usr/lib/postgresql';
  const candidates = existsSync(root)
    ? readdirSync(root)
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => path.join(root, version, 'bin', 'pgbench'))
    : [];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error('pgbench not found under /usr/lib/postgresql/*/bin: run `npm run devstack -- up` first');
  return found;
}

/** Runs a pgbench script (`-M prepared`) with `clients` connections for about `durationMs`. */
export function runPgbench(
  binary: string,
  url: string,
  script: string,
  clients: number,
  durationMs: number,
): Promise<WorkloadResult> {
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, url];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const processed = /number of transactions actually processed: (\d+)/.exec(output);
      if (code !== 0 || processed?.[1] === undefined) {
        reject(new Error(`pgbench failed (exit ${code}): ${output.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      resolve({ operations: Number(processed[1]) });
    });
  });
}
