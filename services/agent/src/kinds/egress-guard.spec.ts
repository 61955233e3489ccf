import { createEgressGuard, parseCidrList } from './egress-guard';

describe('egress guard', () => {
  const closed = createEgressGuard([]);
  const loopbackAllowed = createEgressGuard(parseCidrList('127.0.0.1/32, 169.254.0.0/16'));

  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.9', '192.168.1.1', '169.254.10.10', '0.0.0.0', '::1', 'fd12::1', 'fe80::1', '::ffff:127.0.0.1', '100.64.0.1'])(
    'refuses %s without an allow-list',
    async (address) => {
      await expect(closed.resolve(address)).rejects.toThrow(/egress refused/);
    },
  );

  it('lets an allow-listed private address through, but never the cloud metadata address', async () => {
    await expect(loopbackAllowed.resolve('127.0.0.1')).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(loopbackAllowed.resolve('169.254.169.254')).rejects.toThrow(/cloud metadata/);
    await expect(closed.resolve('169.254.169.254')).rejects.toThrow(/cloud metadata/);
  });

  it('checks what a name resolves to, not the name: localhost is loopback', async () => {
    await expect(closed.resolve('localhost')).rejects.toThrow(/localhost resolves to .* loopback/);
  });

  it('passes public addresses', async () => {
    await expect(closed.resolve('93.184.216.34')).resolves.toEqual({ address: '93.184.216.34', family: 4 });
    await expect(closed.resolve('[2606:4700::1111]')).resolves.toEqual({ address: '2606:4700::1111', family: 6 });
  });

  it('refuses configuration that is not a CIDR list, naming the entry', () => {
    expect(() => parseCidrList('127.0.0.1/33')).toThrow('"127.0.0.1/33" is not a CIDR');
    expect(() => parseCidrList('localhost/8')).toThrow('"localhost/8" is not a CIDR');
  });
});
