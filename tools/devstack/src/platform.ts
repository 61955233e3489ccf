import { envFields, loadConfig, shardMapField } from '@bulkhead/config';
import { migrateAll } from '@bulkhead/database';
import { platformServiceEnvironment, toServiceEnvironment, type DevstackEnv } from '@bulkhead/testkit';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './devstack-error';

/** The deployables, in start order: auth first (others verify tokens against it), gateway last. */
export const SERVICE_ORDER = ['auth', 'org', 'project', 'agent', 'workflow', 'audit', 'gateway'] as const;

export interface ServicePorts {
  grpcPort: number;
  metricsPort: number;
}

/** Fixed local ports: gRPC 50051 + i, metrics 9464 + i, in {@link SERVICE_ORDER}; REST on 8080. */
export function localPorts(service: string): ServicePorts {
  const index = (SERVICE_ORDER as readonly string[]).indexOf(service);
  if (index < 0) throw new DevstackError(`unknown service "${service}": expected one of ${SERVICE_ORDER.join(', ')}`);
  return { grpcPort: 50051 + index, metricsPort: 9464 + index };
}

/** The services that exist in this checkout (an Nx project under services/), in start order. */
export function existingServices(workspace: string): string[] {
  const dir = path.join(workspace, 'services');
  const present = existsSync(dir) ? readdirSync(dir).filter((name) => existsSync(path.join(dir, name, 'project.json'))) : [];
  return SERVICE_ORDER.filter((service) => present.includes(service));
}

/** Every service's environment: the devstack's settings plus the addresses of its peers. */
export function serviceEnvironment(env: DevstackEnv, service: string, services: readonly string[]): Record<string, string> {
  const endpoints = Object.fromEntries(services.map((peer) => [peer, { ...localPorts(peer), httpPort: 8080 }]));
  return platformServiceEnvironment(env, endpoints, service);
}

/**
 * Applies every service's migrations to the devstack's databases, then builds and runs every
 * existing service against them, each output line prefixed with its service, until
 * SIGINT/SIGTERM, which is forwarded so each shuts down gracefully.
 */
export async function runPlatform(workspace: string, env: DevstackEnv, log: (line: string) => void): Promise<number> {
  const services = existingServices(workspace);
  if (services.length === 0) {
    log('no services exist yet: the infrastructure is up and described in .devstack/env.json');
    return 0;
  }
  const owners = loadConfig(
    {
      SHARD_OWNER_MAP: shardMapField(),
      IDENTITY_DATABASE_OWNER_URL: envFields.url(['postgres', 'postgresql']),
      AUDIT_DATABASE_OWNER_URL: envFields.url(['postgres', 'postgresql']),
    },
    toServiceEnvironment(env),
  );
  const migrated = await migrateAll({
    servicesDir: path.join(workspace, 'services'),
    shards: owners.SHARD_OWNER_MAP,
    identityDatabaseUrl: owners.IDENTITY_DATABASE_OWNER_URL,
    auditDatabaseUrl: owners.AUDIT_DATABASE_OWNER_URL,
  }).catch((err: unknown) => {
    throw new DevstackError(`migrating the devstack databases failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  const applied = migrated.flatMap((set) => Object.values(set.databases).flatMap((report) => report.applied));
  log(`migrations: ${applied.length} file(s) applied, ${migrated.length} set(s) up to date`);
  log(`building ${services.join(', ')}`);
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', ...services, '--output-style=static'], { cwd: workspace, stdio: 'inherit' });
  if (build.status !== 0) throw new DevstackError('building the services failed: see the nx output above');

  const children = new Map<string, ChildProcess>();
  const exited = new Promise<number>((resolve) => {
    for (const service of services) {
      const child = spawn(process.execPath, ['--enable-source-maps', path.join(workspace, 'dist', 'services', service, 'main.js')], {
        cwd: workspace,
        env: { ...process.env, ...serviceEnvironment(env, service, services) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const prefix = `${service.padEnd(8)}| `;
      const forward = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) if (line !== '') process.stdout.write(`${prefix}${line}\n`);
      };
      child.stdout?.on('data', forward);
      child.stderr?.on('data', forward);
      child.on('exit', (code, signal) => {
        children.delete(service);
        log(`${service} exited (${signal ?? `code ${code}`})`);
        if (children.size === 0) resolve(code ?? 0);
      });
      children.set(service, child);
    }
  });
  const stopAll = (): void => {
    for (const child of children.values()) child.kill('SIGTERM');
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
  const gateway = services.includes('gateway') ? ' — gateway on http://127.0.0.1:8080' : '';
  log(`running ${services.join(', ')}${gateway}; Ctrl-C stops them`);
  return exited;
}
