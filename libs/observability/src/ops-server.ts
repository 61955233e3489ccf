import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /**
   * Readiness: resolves to the names of dependencies that do not answer (empty = ready).
   */
  checkReadiness: () => Promise<readonly string[]>;
  /**
   * Liveness: what has been broken too long for waiting to help (empty = live); `/healthz`
   * answers 503 naming it, so the orchestrator restarts the process. Unset: `/healthz` only
   * says the process serves requests.
   */
  checkLiveness?: () => readonly string[];
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The operations endpoints every service serves on its own port: `/healthz`, `/readyz` and
 * `/metrics` (Prometheus text format). Kept apart from the API port so probes and scrapes never
 * queue behind user traffic.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return reply(405, { error: 'method not allowed' });
    switch (path) {
      case '/healthz': {
        const failing = options.checkLiveness?.() ?? [];
        return failing.length === 0 ? reply(200, { status: 'ok' }) : reply(503, { status: 'not live', failing });
      }
      case '/readyz':
        options.checkReadiness().then(
          (failing) => reply(failing.length === 0 ? 200 : 503, failing.length === 0 ? { status: 'ready' } : { status: 'not ready', failing }),
          () => reply(503, { status: 'not ready', failing: ['readiness check'] }),
        );
        return;
      case '/metrics':
        options.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
          () => reply(500, { error: 'metrics unavailable' }),
        );
        return;
      default:
        return reply(404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
