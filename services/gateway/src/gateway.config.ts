import {
  envFields,
  serviceConfigShape,
  tokenConfigShape,
} from "@bulkhead/config";
import { rateLimitConfigShape } from "./rate-limit/rate-limit.config";
import { subdomainConfigShape } from "./subdomains/subdomain.config";

/** The gateway's environment variables. */
export const gatewayConfigShape = {
  /** `GRPC_PORT` is the gRPC edge's. */
  ...serviceConfigShape,
  ...tokenConfigShape,
  ...rateLimitConfigShape,
  ...subdomainConfigShape,
  /** Public REST port. */
  HTTP_PORT: envFields.port().default(8080),
  /** The auth service's gRPC address (`host:port`). */
  AUTH_GRPC_ADDRESS: envFields.string(),
  /** The org service's gRPC address (`host:port`). */
  ORG_GRPC_ADDRESS: envFields.string(),
  /** The project service's gRPC address (`host:port`). */
  PROJECT_GRPC_ADDRESS: envFields.string(),
  /** The audit service's gRPC address (`host:port`); unset, `/v1/audit` answers 503 and readiness ignores it. */
  AUDIT_GRPC_ADDRESS: envFields.string().optional(),
  /** The agent service's gRPC address; unset, `/v1/agents` answers 503 and readiness ignores it. */
  AGENT_GRPC_ADDRESS: envFields.string().optional(),
  /** The workflow service's gRPC address; unset, `/v1/workflows` and `/v1/runs` answer 503 and readiness ignores it. */
  WORKFLOW_GRPC_ADDRESS: envFields.string().optional(),
  /** Where revoked sessions are listed (shared with every service), rate limits and caches. */
  REDIS_URL: envFields.url(["redis", "rediss"]),
  /** Kafka, for the sampled access.rate_limited audit events (ADR 0005); unset, refusals are only counted. */
  KAFKA_BROKERS: envFields.list().optional(),
  /** The audit topic the relay produces to; the sampled events go there too. */
  AUDIT_TOPIC: envFields.string().default("audit.events"),
  /** At most one access.rate_limited event per tenant per this many seconds. */
  AUDIT_RATE_LIMIT_SAMPLE_SECONDS: envFields.positiveInt().default(60),
  /** The gateway's own audit events (rate-limit samples, its 403s) waiting for Kafka at most; past it they are dropped (counted). */
  AUDIT_RATE_LIMIT_QUEUE_SIZE: envFields.positiveInt().default(1000),
  /** Deadline of each call to a backend; past it the request answers 503 naming the backend. */
  UPSTREAM_DEADLINE_MS: envFields.positiveInt().default(5000),
};
