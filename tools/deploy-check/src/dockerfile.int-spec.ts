import path from 'node:path';
import { ensureDeployTools, INSTALL_TIMEOUT_MS, run, type DeployTools } from './tools';
import { WORKSPACE_ROOT } from './workspace';

let tools: DeployTools;

beforeAll(() => {
  tools = ensureDeployTools();
}, INSTALL_TIMEOUT_MS);

describe('hadolint', () => {
  it('finds nothing in the service Dockerfile, at any severity', () => {
    const result = run(tools.hadolint, ['--no-color', '--failure-threshold', 'style', path.join(WORKSPACE_ROOT, 'Dockerfile')]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('does report a Dockerfile with problems (the check can fail)', () => {
    const result = run(tools.hadolint, ['--no-color', '-'], 'FROM node\nRUN cd /app && npm install\n');
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/DL3006/);
  });
});
