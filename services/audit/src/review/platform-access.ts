import type { AuditAction, AuditEvent } from '@bulkhead/audit';
import { uuidv7 } from '@bulkhead/database';
import { AppError, invalidArgument } from '@bulkhead/errors';
import { canOnPlatform } from '@bulkhead/permissions';
import type { Principal } from '@bulkhead/tokens';
import type { Pool } from 'pg';
import { z } from 'zod';
import { appendEvents } from '../log/log-writer';

/** Where a review call came from, as the gateway forwarded it (recorded on platform reads). */
export interface ReviewOrigin {
  requestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** One read of a log, as the platform audit records it: which RPC, with which filters. */
export interface ReviewRead {
  action: Extract<AuditAction, 'audit.platform_queried' | 'audit.platform_exported'>;
  metadata: Record<string, unknown>;
}

/** Decides whether a platform compliance caller reviews another tenant's log, and records the read there first. */
export interface PlatformAccess {
  /**
   * The tenant a platform compliance caller names, after recording `read` in THAT tenant's log
   * (actor type `platform`); undefined when the call is not a platform read (no tenant named,
   * or a caller without the platform role: the organization rules apply then).
   * INVALID_ARGUMENT `tenantId` when not a UUID; NOT_FOUND when the tenant has no log;
   * UNAVAILABLE when the read could not be recorded (so it is refused).
   */
  platformTenantOf(principal: Principal, requestedTenantId: string, read: ReviewRead, origin: ReviewOrigin): Promise<string | undefined>;
}

const tenantIdSchema = z.uuid();

/** The origin's fields that are known, within the event schema's limits. */
function originFields(origin: ReviewOrigin): Pick<AuditEvent, 'requestId' | 'ip' | 'userAgent'> {
  return {
    ...(origin.requestId ? { requestId: origin.requestId.slice(0, 200) } : {}),
    ...(origin.ip ? { ip: origin.ip.slice(0, 100) } : {}),
    ...(origin.userAgent ? { userAgent: origin.userAgent.slice(0, 512) } : {}),
  };
}

const notRecorded = (cause: unknown): AppError =>
  new AppError({
    kind: 'UNAVAILABLE',
    code: 'PLATFORM_READ_NOT_RECORDED',
    message: 'The compliance log could not record this platform read, so it is refused; try again.',
    cause,
  });

/**
 * Platform reads, appended straight to the compliance log through the log writer (the same
 * chain append the consumer does, in its own transaction, committed before the answer; see
 * docs/adr/0005 "Platform reads are audited in the log itself").
 */
export function createPlatformAccess(deps: { pool: Pool; now?: () => Date }): PlatformAccess {
  const now = deps.now ?? (() => new Date());
  return {
    async platformTenantOf(principal, requestedTenantId, read, origin) {
      if (requestedTenantId === '' || !canOnPlatform(principal, 'platform.audit.read')) return undefined;
      if (!tenantIdSchema.safeParse(requestedTenantId).success) {
        throw invalidArgument([{ field: 'tenantId', description: 'must be a UUID' }]);
      }
      const { rows } = await deps.pool.query('SELECT 1 FROM audit_chain_heads WHERE tenant_id = $1', [requestedTenantId]).catch((cause: unknown) => {
        throw notRecorded(cause);
      });
      if (rows.length === 0) throw new AppError({ kind: 'NOT_FOUND', code: 'ORGANIZATION_NOT_FOUND', message: 'No audit log for this organization.' });
      const event: AuditEvent = {
        id: uuidv7(),
        tenantId: requestedTenantId,
        occurredAt: now().toISOString(),
        actor: { type: 'platform', id: principal.subject },
        action: read.action,
        resource: { type: 'audit_log', id: requestedTenantId },
        outcome: 'success',
        ...originFields(origin),
        // Through JSON and back: the stored event and its hash must see the same plain values
        // (Dates as strings, no undefined fields).
        metadata: JSON.parse(JSON.stringify({ ...read.metadata, callerTenantId: principal.tenantId })) as Record<string, unknown>,
      };
      await appendEvents(deps.pool, [event]).catch((cause: unknown) => {
        throw notRecorded(cause);
      });
      return requestedTenantId;
    },
  };
}
