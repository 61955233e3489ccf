import { withTransaction, type TenantDatabase } from '@bulkhead/database';
import { isAppError, type AppError } from '@bulkhead/errors';
import type { MethodInfo, NoExtension, ServerMiddleware } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import type { AuthContext } from '@bulkhead/tokens';
import type { Pool } from 'pg';
import { auditActorOf, auditOriginOf, FORWARDED_BY_METADATA_KEY } from './call-origin';
import { recordAuditEvent, recordIdentityAuditEvent, type AuditEventInput } from './record-audit-event';

/** Writes one event for `tenantId` in a transaction of its own (the refused work is already rolled back). */
export type TenantAuditRecorder = (tenantId: string, input: AuditEventInput) => Promise<void>;

/** The error kinds recorded as `access.denied`: a refusal (403) and an unknown or foreign id (404). */
const DENIED_KINDS: ReadonlySet<string> = new Set(['PERMISSION_DENIED', 'NOT_FOUND']);

/** Request fields that name what was asked for, in the order they are tried. */
const ID_FIELDS = ['id', 'projectId', 'userId', 'organizationId'] as const;

/**
 * What the refused call asked for: the type from the error (`PROJECT_NOT_FOUND` → `project`),
 * else from the RPC (`RemoveMember` → `RemoveMember`); the id is the request's first id field.
 */
export function requestedResourceOf(method: Pick<MethodInfo, 'name'>, request: unknown, error: AppError): { type: string; id?: string } {
  const fromCode = error.kind === 'NOT_FOUND' ? /^(.+)_NOT_FOUND$/.exec(error.code)?.[1]?.toLowerCase() : undefined;
  const fields = typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {};
  const id = ID_FIELDS.map((field) => fields[field]).find((value): value is string => typeof value === 'string' && value !== '');
  return { type: fromCode ?? method.name, ...(id === undefined ? {} : { id: id.slice(0, 200) }) };
}

export interface AccessDeniedAuditOptions {
  record: TenantAuditRecorder;
  /** Warned when an event could not be written; the caller still gets the original refusal. */
  logger: Pick<Logger, 'warn'>;
}

/**
 * Records every PERMISSION_DENIED and NOT_FOUND the service answers to an authenticated user or
 * API key as one `access.denied` event in the caller's tenant (outcome `denied`, the RPC and the
 * error kind and code in metadata), then rethrows the refusal unchanged. Runs after the auth
 * middleware (compose it second). Calls a service makes for its own client (marked with
 * {@link FORWARDED_BY_METADATA_KEY}) are not recorded: the calling service answers, and records,
 * the refusal its client sees, so one denied request is one event. Service principals are not recorded: their refusals are bugs, not attempts.
 */
export function createAccessDeniedAuditMiddleware(options: AccessDeniedAuditOptions): ServerMiddleware<NoExtension, AuthContext> {
  return async function* accessDeniedAudit(call, ctx) {
    try {
      return yield* call.next(call.request, ctx);
    } catch (err) {
      const principal = ctx.principal;
      const fromEdge = ctx.metadata.get(FORWARDED_BY_METADATA_KEY).length === 0;
      if (isAppError(err) && DENIED_KINDS.has(err.kind) && principal !== undefined && principal.type !== 'service' && fromEdge) {
        await options
          .record(principal.tenantId, {
            actor: auditActorOf(principal),
            ...auditOriginOf(ctx),
            action: 'access.denied',
            resource: requestedResourceOf(call.method, call.request, err),
            outcome: 'denied',
            metadata: { rpc: call.method.path, errorKind: err.kind, errorCode: err.code },
          })
          .catch((recordErr: unknown) => options.logger.warn({ err: recordErr, rpc: call.method.path }, 'access.denied event not recorded'));
      }
      throw err;
    }
  };
}

/** A recorder writing into the tenant's shard outbox, in a `withTenant` transaction of its own. */
export function shardAuditRecorder(db: Pick<TenantDatabase, 'withTenant'>): TenantAuditRecorder {
  return async (tenantId, input) => {
    await db.withTenant({ tenantId }, (tx) => recordAuditEvent(tx, input));
  };
}

/** A recorder writing into the identity database's outbox (auth), in a transaction of its own. */
export function identityAuditRecorder(pool: Pool): TenantAuditRecorder {
  return async (tenantId, input) => {
    await withTransaction(pool, (client) => recordIdentityAuditEvent(client, { ...input, tenantId }));
  };
}
