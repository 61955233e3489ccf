import { hostNameOf, matchHost } from './subdomain.host';

describe('matching a Host header against the base domain', () => {
  const base = 'bulkhead.example';

  it('finds the slug of <slug>.<base>, ignoring port, case and a trailing dot', () => {
    expect(matchHost('acme.bulkhead.example', base)).toEqual({ kind: 'slug', slug: 'acme' });
    expect(matchHost('acme.bulkhead.example:8443', base)).toEqual({ kind: 'slug', slug: 'acme' });
    expect(matchHost('ACME.Bulkhead.Example', base)).toEqual({ kind: 'slug', slug: 'acme' });
    expect(matchHost('acme-2.bulkhead.example.', base)).toEqual({ kind: 'slug', slug: 'acme-2' });
    expect(matchHost('acme.bulkhead.example', 'Bulkhead.Example')).toEqual({ kind: 'slug', slug: 'acme' });
  });

  it('implies no organization for the base domain itself, other hosts, or no Host', () => {
    for (const host of ['bulkhead.example', 'bulkhead.example:8080', 'api.other.example', 'notbulkhead.example', '127.0.0.1:8080', '[::1]:8080', undefined]) {
      expect(matchHost(host, base)).toEqual({ kind: 'none' });
    }
  });

  it('calls anything under the base domain that is not one DNS label invalid', () => {
    expect(matchHost('a.b.bulkhead.example', base)).toEqual({ kind: 'invalid', label: 'a.b' });
    expect(matchHost('under_score.bulkhead.example', base)).toEqual({ kind: 'invalid', label: 'under_score' });
    expect(matchHost('-acme.bulkhead.example', base)).toEqual({ kind: 'invalid', label: '-acme' });
  });

  it('strips the port of IPv6 literals without cutting the address', () => {
    expect(hostNameOf('[::1]:8080')).toBe('[::1]');
    expect(hostNameOf('Example.COM:80')).toBe('example.com');
  });
});
