import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DevstackError } from './devstack-error';
import { readDevstackSettings } from './devstack-settings';
import { newClusterId, renderServerProperties } from './kafka.local';
import { assertPortFree } from './processes';

describe('devstack settings', () => {
  it('uses the documented default ports', () => {
    const settings = readDevstackSettings('/ws', {});
    expect(settings.postgresPorts).toEqual([55432, 55433]);
    expect(settings.redisPort).toBe(56379);
    expect(settings.kafkaPort).toBe(59092);
    expect(settings.stateDir).toBe('/ws/.devstack');
  });

  it('names the variable of a bad port', () => {
    expect(() => readDevstackSettings('/ws', { DEVSTACK_REDIS_PORT: 'redis' })).toThrow('DEVSTACK_REDIS_PORT: "redis" is not a port (1-65535)');
    expect(() => readDevstackSettings('/ws', { DEVSTACK_PG_PORTS: '5000' })).toThrow(/DEVSTACK_PG_PORTS: expected two/);
    expect(() => readDevstackSettings('/ws', { DEVSTACK_PG_PORTS: '5000,5000' })).toThrow(/need different ports/);
  });
});

describe('Kafka configuration', () => {
  it('makes KRaft cluster ids of 22 base64url characters', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newClusterId()).not.toBe(id);
  });

  it('renders a single combined node that advertises exactly the client address', () => {
    const props = renderServerProperties({ port: 19092, controllerPort: 19093, dataDir: '/d' });
    expect(props).toContain('process.roles=broker,controller');
    expect(props).toContain('controller.quorum.voters=1@127.0.0.1:19093');
    expect(props).toContain('advertised.listeners=PLAINTEXT://127.0.0.1:19092');
    expect(props).toContain('offsets.topic.replication.factor=1');
    expect(props).toContain('transaction.state.log.min.isr=1');
    expect(props).toContain('log.dirs=/d');
  });
});

describe('port conflicts', () => {
  it('stop with one line naming the port and the variable that moves it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const attempt = assertPortFree(port, 'Redis', 'DEVSTACK_REDIS_PORT');
      await expect(attempt).rejects.toBeInstanceOf(DevstackError);
      await expect(attempt).rejects.toThrow(
        `port ${port} (Redis) is taken by another process: stop it, or set DEVSTACK_REDIS_PORT to a free port`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(assertPortFree(port, 'Redis', 'DEVSTACK_REDIS_PORT')).resolves.toBeUndefined();
  });
});
