import { createServer, type AddressInfo, type Server } from 'node:net';
import { DevstackError } from './devstack-error';
import { assertPortFree, isPortOpen, portConflictMessage } from './ports';

function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

describe('portConflictMessage', () => {
  it('is one line naming the port, the component and the variable that moves it', () => {
    const message = portConflictMessage(56379, 'Redis', 'DEVSTACK_REDIS_PORT');
    expect(message).toBe('port 56379 (Redis) is taken by another process: stop it, or set DEVSTACK_REDIS_PORT to a free port');
    expect(message).not.toContain('\n');
  });
});

describe('assertPortFree', () => {
  it('refuses a port another process listens on, and accepts it once released', async () => {
    const { server, port } = await listen();
    try {
      expect(await isPortOpen(port)).toBe(true);
      const attempt = assertPortFree(port, 'Redis', 'DEVSTACK_REDIS_PORT');
      await expect(attempt).rejects.toBeInstanceOf(DevstackError);
      await expect(attempt).rejects.toThrow(portConflictMessage(port, 'Redis', 'DEVSTACK_REDIS_PORT'));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(assertPortFree(port, 'Redis', 'DEVSTACK_REDIS_PORT')).resolves.toBeUndefined();
  });
});
