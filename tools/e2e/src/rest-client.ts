/** One REST exchange as a test sees it. */
export interface RestReply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Options of one {@link RestClient} call. */
export interface RestCallOptions {
  /** Sent as `Authorization: Bearer <token>` (an access token or an API key). */
  token?: string;
  body?: unknown;
  /** A raw body sent as is with `content-type: application/json` (malformed JSON, huge bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A thin fetch wrapper for the gateway: JSON in, JSON (or problem+json) out. */
export interface RestClient {
  call<T = Record<string, unknown>>(method: string, path: string, options?: RestCallOptions): Promise<RestReply<T>>;
}

export function createRestClient(baseUrl: string): RestClient {
  return {
    async call<T>(method: string, path: string, options: RestCallOptions = {}): Promise<RestReply<T>> {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
      const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: (text === '' ? {} : JSON.parse(text)) as T };
    },
  };
}
