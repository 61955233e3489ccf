import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** A CIDR list, as parsed from configuration. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `a.b.c.d/n,…` (IPv4 or IPv6); throws naming the first entry that is not a CIDR. */
export function parseCidrList(text: string): Cidr[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [address = '', prefixText = ''] = entry.split('/');
      const version = isIP(address);
      const prefix = Number(prefixText);
      const max = version === 6 ? 128 : 32;
      if (version === 0 || !/^\d+$/.test(prefixText) || prefix > max) throw new Error(`"${entry}" is not a CIDR (address/prefix)`);
      return { address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' };
    });
}

/** Addresses an http agent must not reach unless allow-listed (RFC 1918, loopback, link-local, ULA, unspecified, CGNAT). */
const PRIVATE = new BlockList();
for (const [address, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  PRIVATE.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) PRIVATE.addSubnet(address, prefix, 'ipv6');

/** Never reachable, allow-list or not: the cloud metadata service. */
const ALWAYS_REFUSED = new BlockList();
ALWAYS_REFUSED.addAddress('169.254.169.254', 'ipv4');
ALWAYS_REFUSED.addAddress('fd00:ec2::254', 'ipv6');

export interface EgressGuard {
  /**
   * Resolves `hostname` once and returns the address to connect to, checked; throws a message
   * naming the refused address. The caller connects to exactly this address (no second lookup,
   * so a DNS answer that changes between check and connect — rebinding — cannot slip through).
   */
  resolve(hostname: string): Promise<{ address: string; family: 4 | 6 }>;
}

/** Why `address` is refused, or undefined when it may be reached. */
export function refusalOf(address: string, allowed: BlockList): string | undefined {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const mapped = family === 'ipv6' && address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : undefined;
  if (mapped !== undefined && isIP(mapped) === 4) return refusalOf(mapped, allowed);
  if (ALWAYS_REFUSED.check(address, family)) return `${address} is the cloud metadata address, never reachable`;
  if (PRIVATE.check(address, family) && !allowed.check(address, family)) return `${address} is a private, loopback or link-local address`;
  return undefined;
}

export function createEgressGuard(allow: readonly Cidr[]): EgressGuard {
  const allowed = new BlockList();
  for (const cidr of allow) allowed.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return {
    async resolve(hostname) {
      const bare = hostname.replace(/^\[|\]$/g, '');
      const answers = isIP(bare) !== 0 ? [{ address: bare, family: isIP(bare) as 4 | 6 }] : await lookup(bare, { all: true, verbatim: true });
      if (answers.length === 0) throw new Error(`${hostname} does not resolve`);
      // Every answer must pass: a name that also resolves to a private address is refused.
      for (const answer of answers) {
        const refusal = refusalOf(answer.address, allowed);
        if (refusal !== undefined) throw new Error(`egress refused: ${hostname} resolves to ${refusal}`);
      }
      const first = answers[0] as { address: string; family: number };
      return { address: first.address, family: first.family === 6 ? 6 : 4 };
    },
  };
}
