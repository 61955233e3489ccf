import { javaMajorVersion, mavenFailure, newClusterId, renderServerProperties } from './kafka.local';

describe('newClusterId', () => {
  it('makes KRaft cluster ids of 16 random bytes in base64url without padding', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(newClusterId()).not.toBe(id);
  });
});

describe('renderServerProperties', () => {
  const props = renderServerProperties({ port: 19092, controllerPort: 19093, dataDir: '/d' })
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  const setting = (key: string): string | undefined => props.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);

  it('renders one combined broker+controller node with a static quorum on loopback', () => {
    expect(setting('process.roles')).toBe('broker,controller');
    expect(setting('node.id')).toBe('1');
    expect(setting('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(setting('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(setting('controller.listener.names')).toBe('CONTROLLER');
    expect(setting('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(setting('log.dirs')).toBe('/d');
  });

  it('advertises exactly the address clients use', () => {
    expect(setting('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
  });

  it('sizes every internal topic for a single broker', () => {
    expect(setting('offsets.topic.replication.factor')).toBe('1');
    expect(setting('transaction.state.log.replication.factor')).toBe('1');
    expect(setting('transaction.state.log.min.isr')).toBe('1');
    expect(setting('group.initial.rebalance.delay.ms')).toBe('0');
  });

  it('sets each key once', () => {
    const keys = props.map((l) => l.split('=')[0]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('javaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_292"', 8],
    ['bash: java: command not found', undefined],
  ])('reads %s', (output, major) => {
    expect(javaMajorVersion(output)).toBe(major);
  });
});

describe('mavenFailure', () => {
  it('names the artifact Maven could not get', () => {
    const output = [
      '[ERROR] Failed to execute goal on project kafka-broker: Could not resolve dependencies for project x:y:pom:1:',
      '[ERROR] Could not transfer artifact org.apache.kafka:kafka_2.13:jar:3.9.1 from/to central: Connection refused',
      '[ERROR] -> [Help 1]',
    ].join('\n');
    expect(mavenFailure(output)).toBe('could not get org.apache.kafka:kafka_2.13:jar:3.9.1');
  });

  it('falls back to the first error line, without colours or help links', () => {
    const output = "\x1b[0m\x1b[0m[ERROR] No plugin found for prefix 'dependency' in the current project -> [Help 1]\n[ERROR] \n[ERROR] Re-run Maven";
    expect(mavenFailure(output)).toBe("No plugin found for prefix 'dependency' in the current project");
  });
});
