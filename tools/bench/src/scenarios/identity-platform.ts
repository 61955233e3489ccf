import { randomBytes } from 'node:crypto';
import { loadDevstackEnv, startPlatform, type RunningPlatform } from '@bulkhead/testkit';

/** The running platform (auth, org, project, gateway and any extra services) with one signed-up user, for the scenarios through the gateway. */
export interface IdentityPlatform {
  platform: RunningPlatform;
  email: string;
  password: string;
  accessToken: string;
  /** The access token's subject (the user) and tenant (the org). */
  claims: { sub: string; tid: string };
  /** Creates a project in the user's org through the gateway; resolves to its id. */
  createProject(name: string): Promise<string>;
  /** GET (or POST with a JSON body) against the gateway; throws on an unexpected status. */
  request(method: 'GET' | 'POST' | 'PATCH', path: string, options?: { token?: string; body?: unknown; expect?: number }): Promise<void>;
}

/**
 * Starts the built auth, org, project and gateway services (migrating the devstack first; the
 * gateway needs all three, and signing up provisions the org) and signs up a user.
 * Login throttling and the gateway's per-tenant rate limit are lifted: the bench sends far more
 * than a person or a basic-plan tenant would (the limiter still runs, so its cost is measured).
 */
export async function startIdentityPlatform(extraServices: readonly string[] = []): Promise<IdentityPlatform> {
  const devstack = loadDevstackEnv();
  const platform = await startPlatform({
    services: ['auth', 'org', 'project', ...extraServices, 'gateway'],
    devstack,
    env: { auth: { LOGIN_MAX_ATTEMPTS_PER_IP: '1000000', LOG_LEVEL: 'error' }, gateway: { RATE_LIMIT_RPM_BASIC: '100000000', LOG_LEVEL: 'error' }, audit: { LOG_LEVEL: 'error' } },
  });
  const request: IdentityPlatform['request'] = async (method, route, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${platform.gatewayUrl}${route}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    await response.arrayBuffer();
    if (response.status !== (options.expect ?? 200)) throw new Error(`${method} ${route} answered ${response.status}`);
  };
  const email = `bench-${randomBytes(6).toString('hex')}@example.test`;
  const password = 'correct horse battery staple';
  const signUp = await fetch(`${platform.gatewayUrl}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Bench', organizationName: 'Bench org' }),
  });
  if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}: ${await signUp.text()}`);
  const { accessToken } = (await signUp.json()) as { accessToken: string };
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string; tid: string };
  const createProject = async (name: string): Promise<string> => {
    const created = await fetch(`${platform.gatewayUrl}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (created.status !== 201) throw new Error(`creating the project answered ${created.status}: ${await created.text()}`);
    return ((await created.json()) as { id: string }).id;
  };
  return { platform, email, password, accessToken, claims, createProject, request };
}
