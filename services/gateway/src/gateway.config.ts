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
  /** Where revoked sessions are listed (shared with every service), rate limits and caches. */
  REDIS_URL: envFields.url(["redis", "rediss"]),
  /** Deadline of each call to a backend; past it the request answers 503 naming the backend. */
  UPSTREAM_DEADLINE_MS: envFields.positiveInt().default(5000),
};
