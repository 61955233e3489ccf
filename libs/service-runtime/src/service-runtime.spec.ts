import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@bulkhead/testkit';
import path from 'node:path';

const workspace = path.resolve(__dirname, '../../..');
// Each test starts the fixture under tsx, which alone takes seconds on a loaded machine.
const FIXTURE_TEST_TIMEOUT_MS = 20_000;

interface Started {
  child: ChildProcess;
  lines: () => Record<string, unknown>[];
  exited: Promise<number | null>;
  waitForLine: (msg: string) => Promise<void>;
}

function startFixture(env: Record<string, string>): Started {
  const child = spawn(
    path.join(workspace, 'node_modules/.bin/tsx'),
    ['--tsconfig', path.join(workspace, 'tsconfig.base.json'), path.join(__dirname, 'testing/lifecycle.fixture.ts')],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const waiters: { msg: string; resolve: () => void }[] = [];
  const lines = (): Record<string, unknown>[] =>
    output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      if (lines().some((l) => l['msg'] === waiter.msg)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitForLine = (msg: string): Promise<void> =>
    lines().some((l) => l['msg'] === msg) ? Promise.resolve() : new Promise((resolve) => waiters.push({ msg, resolve }));
  return { child, lines, exited, waitForLine };
}

describe('runService', () => {
  it('serves the ops endpoints, then drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const fixture = startFixture({ METRICS_PORT: String(port) });
    await fixture.waitForLine('fixture started');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('service="fixture"');
    fixture.child.kill('SIGTERM');
    expect(await fixture.exited).toBe(0);
    expect(fixture.lines().map((l) => l['msg'])).toEqual(
      expect.arrayContaining(['fixture stopping', 'fixture drained', 'fixture stopped']),
    );
  }, FIXTURE_TEST_TIMEOUT_MS);

  it('reports the dependency that is not ready', async () => {
    const port = await freePort();
    const fixture = startFixture({ METRICS_PORT: String(port), NOT_READY: '1' });
    await fixture.waitForLine('fixture started');
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not ready', failing: ['postgres:shard-0'] });
    fixture.child.kill('SIGTERM');
    expect(await fixture.exited).toBe(0);
  }, FIXTURE_TEST_TIMEOUT_MS);

  it('names a loop that is down in /readyz, and fails /healthz once it has been down past the bound', async () => {
    const port = await freePort();
    const fixture = startFixture({ METRICS_PORT: String(port), BROKEN_LOOP: '1', LOOP_DOWN_LIVENESS_MS: '300' });
    await fixture.waitForLine('fixture started');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', failing: ['consumer'] });
    await fixture.waitForLine('consumer failed: restarting it');
    let live = await fetch(`http://127.0.0.1:${port}/healthz`);
    while (live.status === 200) live = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(live.status).toBe(503);
    expect(await live.json()).toEqual({
      status: 'not live',
      failing: [expect.stringMatching(/^consumer down since \S+: Error: coordinator not available$/)],
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/bulkhead_loop_restarts_total\{loop="consumer",service="fixture"\} [1-9]/);
    fixture.child.kill('SIGTERM');
    expect(await fixture.exited).toBe(0);
  });

  it('logs a failed start and exits 1', async () => {
    const fixture = startFixture({ METRICS_PORT: String(await freePort()), FAIL_START: '1' });
    expect(await fixture.exited).toBe(1);
    const fatal = fixture.lines().find((l) => l['level'] === 'fatal');
    expect(fatal).toMatchObject({ msg: 'fixture failed to start', service: 'fixture' });
  }, FIXTURE_TEST_TIMEOUT_MS);
});
