import { envFields } from './env-fields';

/**
 * The variables every service reads, to spread into its own shape:
 * `loadConfigOrExit('auth', { ...serviceConfigShape, IDENTITY_DATABASE_URL: … })`.
 */
export const serviceConfigShape = {
  /** Port of the service's gRPC API. */
  GRPC_PORT: envFields.port().default(50051),
  /** Port of `/healthz`, `/readyz` and `/metrics`. */
  METRICS_PORT: envFields.port().default(9464),
  LOG_LEVEL: envFields.oneOf(['debug', 'info', 'warn', 'error']).default('info'),
  /** OTLP/HTTP traces endpoint; unset means spans are created and propagated but not exported. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envFields.url(['http', 'https']).optional(),
  /** How long in-flight calls may run after SIGTERM before they are cut. */
  SHUTDOWN_GRACE_MS: envFields.positiveInt().default(10_000),
};

/**
 * The variables every token verifier reads; spread into a service's config shape. The auth
 * service issues with the same two values.
 */
export const tokenConfigShape = {
  /** `iss` of access tokens: the auth service's public URL. */
  TOKEN_ISSUER: envFields.url(['http', 'https']).default('https://auth.bulkhead.local'),
  /** `aud` of access tokens. */
  TOKEN_AUDIENCE: envFields.string().default('bulkhead'),
};
