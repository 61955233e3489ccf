import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { renderTemplate, type JsonValue } from '@bulkhead/templates';
import type { HttpAgentConfig } from './agent-kinds';
import type { EgressGuard } from './egress-guard';

export interface HttpCallOptions {
  guard: EgressGuard;
  maxResponseBytes: number;
  /** Decrypted credential headers: sent, never logged or returned. */
  credentials: Readonly<Record<string, string>>;
}

/** What an http agent returns: the status and the body (JSON when it is JSON, else text). */
export interface HttpAgentOutput {
  status: number;
  body: JsonValue;
}

/**
 * Calls the configured URL with the body rendered from `input`, connecting only to the address
 * the egress guard checked. A non-2xx answer, a timeout or a body past the size cap is an error.
 */
export async function callHttpAgent(config: HttpAgentConfig, input: JsonValue, options: HttpCallOptions): Promise<HttpAgentOutput> {
  const url = new URL(config.url);
  const target = await options.guard.resolve(url.hostname);
  const pinned: LookupFunction = (_host, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all === true) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const body = config.body === undefined || config.method === 'GET' ? undefined : JSON.stringify(renderTemplate(config.body, { input }));
  const requestOptions: RequestOptions = {
    method: config.method,
    headers: { ...config.headers, ...options.credentials, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) },
    lookup: pinned,
    timeout: config.timeoutMs,
    signal: AbortSignal.timeout(config.timeoutMs),
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpAgentOutput>((resolve, reject) => {
    const req = send(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) req.destroy(new Error(`response larger than ${options.maxResponseBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        if (status < 200 || status >= 300) return reject(new Error(`${config.method} ${url.origin}${url.pathname} answered ${status}`));
        let parsed: JsonValue = text;
        if ((res.headers['content-type'] ?? '').includes('json')) {
          try {
            parsed = JSON.parse(text) as JsonValue;
          } catch {
            parsed = text;
          }
        }
        resolve({ status, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${config.timeoutMs} ms`)));
    req.on('error', (err) => reject(err.name === 'AbortError' ? new Error(`timed out after ${config.timeoutMs} ms`) : err));
    req.end(body);
  });
}
