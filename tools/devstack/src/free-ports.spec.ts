import { readDevstackSettings } from './devstack-settings';
import { movedPorts } from './free-ports';

describe('movedPorts', () => {
  const settings = readDevstackSettings('/ws', {});
  const picks = (...ports: number[]) => {
    const queue = [...ports];
    return async (): Promise<number> => queue.shift() ?? 0;
  };

  it('moves nothing on a machine where every port is free', async () => {
    expect(await movedPorts(settings, async () => false, picks())).toEqual({});
  });

  it('moves only the taken ports, and gives the PostgreSQL pair whole', async () => {
    const taken = new Set([55433, 59092]);
    expect(await movedPorts(settings, async (port) => taken.has(port), picks(40001, 40002))).toEqual({
      DEVSTACK_PG_PORTS: '55432,40001',
      DEVSTACK_KAFKA_PORT: '40002',
    });
  });

  it('moves every port when another devstack holds them all', async () => {
    expect(await movedPorts(settings, async () => true, picks(1, 2, 3, 4, 5))).toEqual({
      DEVSTACK_PG_PORTS: '1,2',
      DEVSTACK_REDIS_PORT: '3',
      DEVSTACK_KAFKA_PORT: '4',
      DEVSTACK_KAFKA_CONTROLLER_PORT: '5',
    });
  });
});
