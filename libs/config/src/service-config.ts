import { envFields } from './env-fields';
import { shardMapField } from './shard-map';

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
  /** OTLP/HTTP traces endpoint (`<collector>/v1/traces`); unset, tracing is off and nothing is instrumented (ADR 0010). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envFields.url(['http', 'https']).optional(),
  /** How long in-flight calls may run after SIGTERM before they are cut. */
  SHUTDOWN_GRACE_MS: envFields.positiveInt().default(10_000),
  /** The first wait before a failed long-lived loop (consumer, relay, scheduler) is restarted; doubles per consecutive failure (ADR 0012). */
  LOOP_RESTART_INITIAL_MS: envFields.positiveInt().default(200),
  /** The longest wait before a failed long-lived loop is restarted. */
  LOOP_RESTART_MAX_MS: envFields.positiveInt().default(30_000),
  /** How long a loop may stay down before `/healthz` fails and Kubernetes restarts the pod. */
  LOOP_DOWN_LIVENESS_MS: envFields.positiveInt().default(600_000),
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

/**
 * The variables of a service that keeps tenant data on the shards (org, project, workflow,
 * agent); spread into its config shape.
 */
export const shardedServiceConfigShape = {
  /** The ordered shard map, JSON `[{id, url}]`, with the service role's URLs (or none, see below). */
  SHARD_MAP: shardMapField(),
  /** Filled into every shard URL that carries no user (a ConfigMap holds no secrets). */
  SHARD_DATABASE_USER: envFields.string().optional(),
  SHARD_DATABASE_PASSWORD: envFields.string().optional(),
  /** The most connections this process opens to one PostgreSQL server, shared evenly by the shards it holds. */
  SHARD_SERVER_POOL_SIZE: envFields.positiveInt().default(10),
  /** Where tenant placement overrides are read (the identity database; SELECT on `tenant_placements` suffices). */
  PLACEMENT_DATABASE_URL: envFields.url(['postgres', 'postgresql']),
  /** How long a tenant's placement is cached before it is read again. */
  PLACEMENT_CACHE_TTL_MS: envFields.positiveInt().default(60_000),
  /** The folder holding `<service>/migrations/<target>/` (the repository's or the image's `services/`). */
  MIGRATIONS_DIR: envFields.string().default('services'),
  /** The tenant-scoped cache. */
  REDIS_URL: envFields.url(['redis', 'rediss']),
  /** The auth service: JWKS for verification, and the membership RPCs. */
  AUTH_GRPC_ADDRESS: envFields.string(),
};
