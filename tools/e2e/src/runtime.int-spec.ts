import { startPlatform, type RunningPlatform } from '@bulkhead/testkit';

// Every service process runs on the Node the tests run on, Node 24 (ADR 0011): the harness
// starts them the way the devstack's `platform` does, and each reports its runtime in the
// `nodejs_version_info` metric of its /metrics.
const SERVICES = ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'];

let platform: RunningPlatform;

beforeAll(async () => {
  platform = await startPlatform({ services: SERVICES });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
});

async function nodeVersionOf(service: string): Promise<string | undefined> {
  const { metricsPort } = platform.endpoints[service] ?? { metricsPort: 0 };
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return /^nodejs_version_info\{version="([^"]+)"/m.exec(await response.text())?.[1];
}

it('runs the tests on Node 24', () => {
  expect(process.version).toMatch(/^v24\./);
});

it.each(SERVICES)('runs the %s service on the Node of the tests', async (service) => {
  expect(await nodeVersionOf(service)).toBe(process.version);
});
