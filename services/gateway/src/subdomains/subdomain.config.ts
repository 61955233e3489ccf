import { envFields } from '@bulkhead/config';

const DOMAIN_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Subdomain routing: on only when `BASE_DOMAIN` is set. */
export const subdomainConfigShape = {
  /**
   * The domain under which each organization has `<slug>.<BASE_DOMAIN>`; a request to such a host
   * must carry a token of that organization. Unset: hosts are not looked at.
   */
  BASE_DOMAIN: envFields
    .string()
    .toLowerCase()
    .regex(DOMAIN_NAME, 'must be a domain name such as bulkhead.example')
    .optional(),
};
