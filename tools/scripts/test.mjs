// The whole test suite, as the README promises: infrastructure up, then every project's lint,
// typecheck, build and unit tests, then the integration tests against the real PostgreSQL,
// Redis and Kafka, then the proto breaking-change check. Ends with one summary line.
import './require-node.mjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const summaryDir = mkdtempSync(path.join(tmpdir(), 'bulkhead-tests-'));
const env = { ...process.env, NX_DAEMON: 'false', BULKHEAD_TEST_SUMMARY_DIR: summaryDir };
const failedSteps = [];

function step(name, command, args) {
  process.stdout.write(`\n=== ${name}: ${command} ${args.join(' ')}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = result.status === 0;
  process.stdout.write(`=== ${name}: ${ok ? 'ok' : 'FAILED'} in ${seconds}s\n`);
  if (!ok) failedSteps.push(name);
  return ok;
}

const nx = (...args) => ['nx', ...args, '--skip-nx-cache', '--output-style=static'];

step('devstack', 'npm', ['run', '--silent', 'devstack', '--', 'up']);
step('static checks, builds and unit tests', 'npx', nx('run-many', '-t', 'lint', 'typecheck', 'build', 'test', '--parallel=2'));
step('integration tests', 'npx', nx('run-many', '-t', 'test-integration', '--parallel=1'));
step('proto breaking-change check', 'bash', ['proto/check-breaking.sh']);

let passed = 0;
let failed = 0;
for (const file of readdirSync(summaryDir)) {
  const summary = JSON.parse(readFileSync(path.join(summaryDir, file), 'utf8'));
  passed += summary.passed;
  failed += summary.failed;
}
rmSync(summaryDir, { recursive: true, force: true });

if (failedSteps.length > 0) process.stdout.write(`\nFailed steps: ${failedSteps.join(', ')}\n`);
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(failedSteps.length === 0 && failed === 0 && passed > 0 ? 0 : 1);
