import { closedLoop, type Scenario } from '../harness';
import { startIdentityPlatform } from './identity-platform';

/**
 * The cost of authentication at the edge: an unauthenticated gateway route that makes one gRPC
 * call to auth (`GET /.well-known/jwks.json`, baseline) vs the authenticated `GET /v1/auth/me`
 * (token verified at the gateway and again in auth, revocation checked in Redis, then the
 * user and memberships read from the identity database).
 */
export const gatewayAuthScenario: Scenario = {
  name: 'gateway-auth',
  description: 'gateway → auth over gRPC: unauthenticated GET /.well-known/jwks.json vs authenticated GET /v1/auth/me',
  async prepare({ durationMs, concurrency }) {
    const identity = await startIdentityPlatform();
    return {
      baseline: {
        name: 'GET /.well-known/jwks.json (no token)',
        run: () => closedLoop(durationMs, concurrency, () => identity.request('GET', '/.well-known/jwks.json')),
      },
      subject: {
        name: 'GET /v1/auth/me (bearer token)',
        run: () => closedLoop(durationMs, concurrency, () => identity.request('GET', '/v1/auth/me', { token: identity.accessToken })),
      },
      target: { minRatio: 0.5, meaning: 'authenticated /v1/auth/me ≥ 50% of an unauthenticated route of the same shape' },
      close: () => identity.platform.stop(),
    };
  },
};
