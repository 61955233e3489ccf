import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOT } from './workspace';

export interface DeployTools {
  helm: string;
  kubernetesValidate: string;
  hadolint: string;
}

const INSTALL_SCRIPT = path.join(WORKSPACE_ROOT, 'tools/deploy-check/install-tools.sh');

/** The first install builds helm from source: give it time on a busy 2-core machine. */
export const INSTALL_TIMEOUT_MS = 30 * 60_000;

/**
 * Runs tools/deploy-check/install-tools.sh (a no-op when the pinned versions are cached) and
 * returns the tools' paths. Throws with the script's output when it fails.
 */
export function ensureDeployTools(): DeployTools {
  const result = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  const binDir = result.stdout?.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || binDir === '') {
    throw new Error(
      `${path.relative(WORKSPACE_ROOT, INSTALL_SCRIPT)} failed (status ${String(result.status)}${result.error ? `, ${result.error.message}` : ''}). ` +
        `On a cold cache it needs Go, python3-venv, and the Go module proxy and PyPI.\n${result.stderr ?? ''}`,
    );
  }
  const tools: DeployTools = {
    helm: path.join(binDir, 'helm'),
    kubernetesValidate: path.join(binDir, 'kubernetes-validate'),
    hadolint: path.join(binDir, 'hadolint'),
  };
  for (const tool of Object.values(tools)) {
    if (!existsSync(tool)) throw new Error(`install-tools.sh reported ${binDir}, but ${tool} is missing`);
  }
  return tools;
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit. */
export function run(command: string, args: readonly string[], input?: string): CommandResult {
  const result = spawnSync(command, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024, cwd: WORKSPACE_ROOT });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface ValidationReport {
  /** "kind/name" of every resource that passed. */
  passed: string[];
  /** Resources that failed, and anything the validator printed that it did not label. */
  errors: string[];
  warnings: string[];
}

/**
 * Validates manifests with kubernetes-validate --strict (unknown fields are errors) against the
 * schemas it bundles for `kubeVersion`. Kinds it has no schema for come back as warnings.
 */
export function kubernetesValidate(tools: DeployTools, manifests: string, kubeVersion: string): ValidationReport {
  const result = run(tools.kubernetesValidate, ['--strict', '-k', kubeVersion, '-'], manifests);
  const report: ValidationReport = { passed: [], errors: [], warnings: [] };
  for (const line of `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim() !== '')) {
    const passed = /^INFO .* passed for resource (\S+) against version/.exec(line);
    if (passed?.[1] !== undefined) report.passed.push(passed[1]);
    else if (line.startsWith('WARN ')) report.warnings.push(line);
    else report.errors.push(line);
  }
  if (result.status !== 0 && report.errors.length === 0) report.errors.push(`kubernetes-validate exited with ${String(result.status)}`);
  return report;
}
