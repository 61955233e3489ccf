import { workspaceRoot } from '@bulkhead/testkit';
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface CliResult {
  code: number | null;
  stderr: string;
}

/** Runs the devstack CLI as a user would, with `extraEnv` over this process's environment. */
export function runDevstack(args: readonly string[], extraEnv: Record<string, string>): Promise<CliResult> {
  const root = workspaceRoot();
  const child = spawn(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    ['--tsconfig', path.join(root, 'tsconfig.base.json'), path.join(root, 'tools', 'devstack', 'src', 'main.ts'), ...args],
    { cwd: root, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}
