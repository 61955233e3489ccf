import { HealthCheckResponse_ServingStatus, HealthClient } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient } from '@bulkhead/grpc-kit';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { freePort } from '@bulkhead/testkit';
import { startAuthServer } from './auth.server';

describe('auth server', () => {
  it('answers the standard gRPC health check, and stops answering after stop', async () => {
    const port = await freePort();
    const logger = createLogger({ service: 'auth-spec', level: 'silent' });
    const auth = await startAuthServer({ GRPC_PORT: port }, { logger, registry: createMetricsRegistry('auth') });
    const client = createGrpcClient(HealthClient, `127.0.0.1:${port}`, { defaultDeadlineMs: 2000 });
    try {
      expect((await client.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      await auth.stop(1000);
      await expect(client.check({ service: '' })).rejects.toMatchObject({ kind: 'UNAVAILABLE' });
    } finally {
      closeGrpcClient(client);
    }
  });
});
