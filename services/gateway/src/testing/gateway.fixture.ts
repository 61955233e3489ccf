import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGatewayApp } from '../gateway.app';
import type { HttpApp } from '../http/http-app';
import { createAuthUpstream } from '../upstream/auth.upstream';
import { startFakeAuthService, type FakeAuthService } from './fake-auth-service';
import { createTestTokens, type TestTokens } from './test-tokens';

/** The gateway app (driven with `inject`) in front of a {@link FakeAuthService}. */
export interface GatewayFixture {
  readonly app: HttpApp;
  readonly fake: FakeAuthService;
  readonly tokens: TestTokens;
  close(): Promise<void>;
}

const UPSTREAM_DEADLINE_MS = 2000;

/** Starts a fake auth service and builds the gateway's app against it with a local verifier. */
export async function createGatewayFixture(): Promise<GatewayFixture> {
  const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
  const tokens = await createTestTokens();
  const fake = await startFakeAuthService(logger, tokens);
  const auth = createAuthUpstream(fake.address, UPSTREAM_DEADLINE_MS);
  const app = await createGatewayApp({
    logger,
    registry: createMetricsRegistry('gateway'),
    checkReadiness: async () => [],
    verifier: tokens.verifier,
    auth: auth.client,
  });
  await app.ready();
  return {
    app,
    fake,
    tokens,
    close: async () => {
      await app.close();
      auth.close();
      await fake.stop();
    },
  };
}
