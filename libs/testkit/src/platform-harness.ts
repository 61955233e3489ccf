import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DevstackEnv } from './devstack-env.schema';
import { loadDevstackEnv, toServiceEnvironment, workspaceRoot } from './devstack-env';
import { freePort } from './free-port';

/** Where one service of a running platform listens. */
export interface ServiceEndpoints {
  grpcPort: number;
  metricsPort: number;
  /** Only the gateway serves REST. */
  httpPort: number;
}

/**
 * The environment of one service: the devstack's settings, its ports, and every peer's gRPC
 * address as `<PEER>_GRPC_ADDRESS`. Used by `npm start` and by the platform harness alike.
 */
export function platformServiceEnvironment(
  devstack: DevstackEnv,
  endpoints: Readonly<Record<string, ServiceEndpoints>>,
  service: string,
): Record<string, string> {
  const own = endpoints[service];
  if (own === undefined) throw new Error(`no endpoints for service "${service}"`);
  const peers = Object.fromEntries(
    Object.entries(endpoints).map(([peer, ports]) => [`${peer.toUpperCase()}_GRPC_ADDRESS`, `127.0.0.1:${ports.grpcPort}`]),
  );
  return {
    ...toServiceEnvironment(devstack),
    ...peers,
    GRPC_PORT: String(own.grpcPort),
    METRICS_PORT: String(own.metricsPort),
    HTTP_PORT: String(own.httpPort),
  };
}

/** Options of {@link startPlatform}. */
export interface PlatformHarnessOptions {
  /** Services to run, in start order (auth first, gateway last). */
  services: readonly string[];
  /** Extra environment per service (short throttling windows, fast key reloads). */
  env?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Default: the devstack's settings file. */
  devstack?: DevstackEnv;
  /** How long a service may take to become ready; default 30 000. */
  readyTimeoutMs?: number;
}

/** Built services running as child processes against the devstack. */
export interface RunningPlatform {
  /** `http://127.0.0.1:<port>` of the gateway. */
  readonly gatewayUrl: string;
  readonly endpoints: Readonly<Record<string, ServiceEndpoints>>;
  grpcAddress(service: string): string;
  /** Kills a service (SIGKILL: a crash, not a shutdown). */
  killService(service: string): Promise<void>;
  /** Starts a stopped service again on the same ports; resolves once it is ready. */
  startService(service: string): Promise<void>;
  /** Everything a service wrote to stdout and stderr since the platform started (every run of it). */
  outputOf(service: string): string;
  /** Stops everything gracefully. */
  stop(): Promise<void>;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url} exited before it was ready (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} was not ready within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Applies every service's migrations to the devstack with the built migrate CLI (`dist/tools/migrate`). */
export function migrateDevstack(devstack: DevstackEnv = loadDevstackEnv()): void {
  const root = workspaceRoot();
  const cli = path.join(root, 'dist', 'tools', 'migrate', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} does not exist: run \`npx nx build migrate\``);
  const result = spawnSync(process.execPath, [cli], {
    cwd: root,
    env: { ...process.env, ...toServiceEnvironment(devstack), MIGRATIONS_DIR: path.join(root, 'services') },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`migrating the devstack failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
}

/**
 * Migrates the devstack (see {@link migrateDevstack}), then runs the built services
 * (`dist/services/<name>/main.js`, made by `nx build`) as separate processes on free ports
 * against it, and waits until each answers `/readyz`. For end-to-end tests and benchmarks that
 * must exercise the real processes, gRPC hops included.
 */
export async function startPlatform(options: PlatformHarnessOptions): Promise<RunningPlatform> {
  const devstack = options.devstack ?? loadDevstackEnv();
  const root = workspaceRoot();
  const endpoints: Record<string, ServiceEndpoints> = {};
  for (const service of options.services) {
    const main = path.join(root, 'dist', 'services', service, 'main.js');
    if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npx nx run-many -t build -p ${options.services.join(' ')}\``);
    endpoints[service] = { grpcPort: await freePort(), metricsPort: await freePort(), httpPort: await freePort() };
  }
  migrateDevstack(devstack);
  const children = new Map<string, ChildProcess>();
  const outputs = new Map<string, string[]>();

  const start = async (service: string): Promise<void> => {
    const ports = endpoints[service] as ServiceEndpoints;
    let output = '';
    const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist', 'services', service, 'main.js')], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...platformServiceEnvironment(devstack, endpoints, service), ...options.env?.[service] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const everything = outputs.get(service) ?? [];
    outputs.set(service, everything);
    const keep = (chunk: Buffer): void => {
      everything.push(chunk.toString());
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.set(service, child);
    await waitUntilReady(`http://127.0.0.1:${ports.metricsPort}/readyz`, child, () => `[${service}] ${output}`, options.readyTimeoutMs ?? 30_000);
  };

  const exit = async (service: string, signal: NodeJS.Signals): Promise<void> => {
    const child = children.get(service);
    children.delete(service);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };

  const stop = async (): Promise<void> => {
    for (const service of [...children.keys()].reverse()) await exit(service, 'SIGTERM');
  };

  try {
    for (const service of options.services) await start(service);
  } catch (err) {
    await stop();
    throw err;
  }

  const gateway = endpoints['gateway'];
  return {
    gatewayUrl: gateway === undefined ? '' : `http://127.0.0.1:${gateway.httpPort}`,
    endpoints,
    grpcAddress: (service) => `127.0.0.1:${(endpoints[service] as ServiceEndpoints).grpcPort}`,
    killService: (service) => exit(service, 'SIGKILL'),
    startService: start,
    outputOf: (service) => (outputs.get(service) ?? []).join(''),
    stop,
  };
}
