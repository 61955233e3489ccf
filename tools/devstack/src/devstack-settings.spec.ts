import path from 'node:path';
import { readDevstackSettings } from './devstack-settings';

describe('readDevstackSettings', () => {
  it('uses the documented defaults', () => {
    const settings = readDevstackSettings('/ws', {});
    expect(settings.postgresPorts).toEqual([55432, 55433]);
    expect(settings.redisPort).toBe(56379);
    expect(settings.kafkaPort).toBe(59092);
    expect(settings.kafkaControllerPort).toBe(59093);
    expect(settings.stateDir).toBe('/ws/.devstack');
    expect(settings.envFile).toBe('/ws/.devstack/env.json');
    expect(settings.containers).toBe('auto');
  });

  it('takes every override from its variable, blank meaning unset', () => {
    const settings = readDevstackSettings('/ws', {
      DEVSTACK_PG_PORTS: ' 6000 , 6001 ',
      DEVSTACK_REDIS_PORT: '6379',
      DEVSTACK_KAFKA_PORT: '9092',
      DEVSTACK_KAFKA_CONTROLLER_PORT: '',
      DEVSTACK_STATE_DIR: 'tmp/state',
      DEVSTACK_ENV_FILE: '/elsewhere/env.json',
      DEVSTACK_CONTAINERS: 'off',
    });
    expect(settings.postgresPorts).toEqual([6000, 6001]);
    expect(settings.redisPort).toBe(6379);
    expect(settings.kafkaPort).toBe(9092);
    expect(settings.kafkaControllerPort).toBe(59093);
    expect(settings.stateDir).toBe(path.resolve('tmp/state'));
    expect(settings.envFile).toBe('/elsewhere/env.json');
    expect(settings.containers).toBe('off');
  });

  it.each([
    [{ DEVSTACK_REDIS_PORT: 'redis' }, 'DEVSTACK_REDIS_PORT: "redis" is not a port (1-65535)'],
    [{ DEVSTACK_KAFKA_PORT: '70000' }, 'DEVSTACK_KAFKA_PORT: "70000" is not a port (1-65535)'],
    [{ DEVSTACK_PG_PORTS: '5000' }, 'DEVSTACK_PG_PORTS: expected two comma-separated ports, got "5000"'],
    [{ DEVSTACK_PG_PORTS: '5000,' }, 'DEVSTACK_PG_PORTS: "" is not a port (1-65535)'],
    [{ DEVSTACK_PG_PORTS: '5000,5000' }, 'DEVSTACK_PG_PORTS: the two PostgreSQL servers need different ports'],
    [{ DEVSTACK_KAFKA_CONTROLLER_PORT: '59092' }, 'DEVSTACK_KAFKA_PORT and DEVSTACK_KAFKA_CONTROLLER_PORT must differ (both 59092)'],
    [{ DEVSTACK_CONTAINERS: 'docker' }, 'DEVSTACK_CONTAINERS: expected auto or off, got "docker"'],
  ])('names the variable of a bad value: %j', (env, message) => {
    expect(() => readDevstackSettings('/ws', env)).toThrow(message);
  });
});
