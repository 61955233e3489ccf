import { envFields, serviceConfigShape, tokenConfigShape, type EnvConfig } from '@bulkhead/config';
import { workloadKeysField } from './service-tokens/workload-tokens';

/** The auth service's environment variables. */
export const authConfigShape = {
  ...serviceConfigShape,
  ...tokenConfigShape,
  /** The identity database, as the service role. */
  IDENTITY_DATABASE_URL: envFields.url(['postgres', 'postgresql']),
  IDENTITY_DATABASE_POOL_SIZE: envFields.positiveInt().default(10),
  /** The folder holding `<service>/migrations/<target>/` (the repository's or the image's `services/`). */
  MIGRATIONS_DIR: envFields.string().default('services'),
  /** The org service (`host:port`): auth provisions organizations and redeems invitations there. */
  ORG_GRPC_ADDRESS: envFields.string(),
  /** The project service (`host:port`): auth checks the project a new API key is bound to there. */
  PROJECT_GRPC_ADDRESS: envFields.string(),
  /**
   * Platform workloads that may ask for a tenant's service token (ADR 0006), as
   * `name=key,name=key` (keys ≥ 32 characters, e.g. `workflow=<openssl rand -base64 32>`).
   * Empty: no workload can.
   */
  WORKLOAD_KEYS: workloadKeysField(),
  /** Revocation list and login throttling. */
  REDIS_URL: envFields.url(['redis', 'rediss']),
  /** Seals the private signing keys at rest (AES-256-GCM). */
  SIGNING_KEY_ENCRYPTION_KEY: envFields.aes256Key(),
  /** Access-token life: minutes, not hours. */
  ACCESS_TOKEN_TTL_SECONDS: envFields.positiveInt().max(3600, 'must be at most 3600 (access tokens live minutes)').default(600),
  /** Refresh-token (session) life. */
  REFRESH_TOKEN_TTL_SECONDS: envFields.positiveInt().default(30 * 24 * 3600),
  /** How often the service rereads the signing keys (picks up a rotation made by another replica). */
  SIGNING_KEY_RELOAD_INTERVAL_MS: envFields.positiveInt().default(10_000),
  /**
   * How long a rotated-in key is published before it signs: longer than the reload interval
   * plus a verifier's JWKS refetch cooldown (5 s), so every verifier knows it first.
   */
  SIGNING_KEY_ACTIVATION_DELAY_SECONDS: envFields.positiveInt().default(60),
  /** Failed logins per account within the window before it is throttled. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: envFields.positiveInt().default(10),
  LOGIN_ACCOUNT_WINDOW_SECONDS: envFields.positiveInt().default(900),
  /** Login attempts per client IP within the window before it is throttled. */
  LOGIN_MAX_ATTEMPTS_PER_IP: envFields.positiveInt().default(100),
  LOGIN_IP_WINDOW_SECONDS: envFields.positiveInt().default(60),
};

export type AuthConfig = EnvConfig<typeof authConfigShape>;
