/** A DNS label: what a slug can be when it is the first label of a host name. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** What a `Host` header says about subdomains of `baseDomain`. */
export type HostMatch =
  /** The base domain itself or another host: no organization is implied. */
  | { readonly kind: 'none' }
  /** `<slug>.<baseDomain>`. */
  | { readonly kind: 'slug'; readonly slug: string }
  /** Under the base domain but not one label (`a.b.<baseDomain>`, `bad_label.<baseDomain>`): no organization can have it. */
  | { readonly kind: 'invalid'; readonly label: string };

/** The host name of a `Host` header: lower case, without port or trailing dot (`[::1]:8080` → `[::1]`). */
export function hostNameOf(host: string): string {
  const name = host.trim().toLowerCase();
  const withoutPort = name.startsWith('[') ? name.slice(0, name.indexOf(']') + 1) : name.replace(/:\d*$/, '');
  return withoutPort.endsWith('.') ? withoutPort.slice(0, -1) : withoutPort;
}

/** Whether `host` (a `Host` header) names an organization's subdomain of `baseDomain`. */
export function matchHost(host: string | undefined, baseDomain: string): HostMatch {
  if (host === undefined) return { kind: 'none' };
  const name = hostNameOf(host);
  const suffix = `.${hostNameOf(baseDomain)}`;
  if (!name.endsWith(suffix)) return { kind: 'none' };
  const label = name.slice(0, -suffix.length);
  return DNS_LABEL.test(label) ? { kind: 'slug', slug: label } : { kind: 'invalid', label };
}
