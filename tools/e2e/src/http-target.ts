import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server the http agents call: it records what it received; `?delayMs=N` answers after a while. */
export interface HttpTarget {
  url: string;
  received: { path: string; body: unknown; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startHttpTarget(): Promise<HttpTarget> {
  const received: HttpTarget['received'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      received.push({ path: req.url ?? '', body: text === '' ? null : JSON.parse(text), headers: req.headers });
      const delayMs = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delayMs') ?? 0);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, path: req.url }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
