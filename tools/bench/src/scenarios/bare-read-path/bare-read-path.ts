import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The bare read path, running: its gateway's URL, and how to stop both processes. */
export interface BareReadPath {
  gatewayUrl: string;
  stop(): Promise<void>;
}

export interface BareReadPathOptions {
  shardUrl: string;
  tenantId: string;
  userId: string;
  poolSize: number;
}

/**
 * Starts `GET /v1/projects/:id` built from the raw libraries alone, in two processes like the
 * real services: fastify → grpc-js (the generated ProjectService codec) → pg, for the tenant and
 * user given. What the libraries cost on this machine, without anything Bulkhead adds.
 */
export async function startBareReadPath(options: BareReadPathOptions): Promise<BareReadPath> {
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  const start = (file: string, env: Record<string, string>): Promise<number> => {
    const child = fork(path.join(__dirname, file), { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('message', (message: { port: number }) => resolve(message.port));
      child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before listening`)));
    });
  };
  try {
    const projectPort = await start('bare-project.child.ts', {
      BARE_SHARD_URL: options.shardUrl,
      BARE_TENANT_ID: options.tenantId,
      BARE_USER_ID: options.userId,
      BARE_POOL_SIZE: String(options.poolSize),
    });
    const gatewayPort = await start('bare-gateway.child.ts', { BARE_PROJECT_ADDRESS: `127.0.0.1:${projectPort}` });
    return { gatewayUrl: `http://127.0.0.1:${gatewayPort}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
