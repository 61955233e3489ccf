/**
 * Request metadata the gateway adds to every call it forwards: the REST caller's address and
 * `User-Agent` (login throttling, session records). grpc-js writes its own `user-agent` over
 * any in the metadata, so the caller's travels under its own key.
 */
export const CLIENT_IP_METADATA_KEY = 'x-client-ip';
export const CLIENT_USER_AGENT_METADATA_KEY = 'x-client-user-agent';

/** How a platform workload proves itself to auth's WorkloadTokenService (ADR 0006). */
export const WORKLOAD_KEY_METADATA_KEY = 'x-bulkhead-workload-key';
