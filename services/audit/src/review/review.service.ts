import { AppError, invalidArgument } from '@bulkhead/errors';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { requirePermission } from '@bulkhead/permissions';
import type { Principal } from '@bulkhead/tokens';
import type { Pool } from 'pg';
import { verifyChain, type VerifyRange, type VerifyResult } from '../log/chain-verifier';
import { exportWriter, type ExportFormat } from './event-export';
import type { PlatformAccess, ReviewOrigin, ReviewRead } from './platform-access';
import { findEvent, listEvents, readEventBatches, type EventFilter, type ListPosition, type LoggedEvent } from './review.queries';

/** Who asks, and which organization's log they name (empty: their own). */
export interface ReviewScope {
  principal: Principal;
  requestedTenantId: string;
  origin?: ReviewOrigin;
}

export interface AuditReviewService {
  list(scope: ReviewScope, filter: EventFilter, page: PageWindow): Promise<{ items: LoggedEvent[]; nextCursor: string }>;
  get(scope: ReviewScope, id: string): Promise<LoggedEvent>;
  /** The export file's text, chunk by chunk: one chunk per database batch, the header in the first. */
  export(scope: ReviewScope, filter: EventFilter, format: ExportFormat): AsyncGenerator<string, void, undefined>;
  verify(scope: ReviewScope, range: VerifyRange): Promise<VerifyResult>;
}

const notFound = (code: string, message: string): AppError => new AppError({ kind: 'NOT_FOUND', code, message });

/**
 * The organization whose log the caller may review: the one a platform compliance caller names
 * (the read recorded in that log first, see platform-access.ts), else their own, with
 * `audit.read`. Anyone else naming another organization gets NOT_FOUND.
 */
async function reviewedTenantOf(platform: PlatformAccess | undefined, scope: ReviewScope, read: ReviewRead): Promise<string> {
  const { principal, requestedTenantId } = scope;
  const platformTenant = await platform?.platformTenantOf(principal, requestedTenantId, read, scope.origin ?? {});
  if (platformTenant !== undefined) return platformTenant;
  requirePermission(principal, 'audit.read');
  if (requestedTenantId !== '' && requestedTenantId !== principal.tenantId) {
    throw notFound('ORGANIZATION_NOT_FOUND', 'Organization not found.');
  }
  return principal.tenantId;
}

const POSITION = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(\d{1,19})$/;

/** The listing position a cursor carries; one this service did not make is INVALID_ARGUMENT. */
function positionOf(after: string | undefined): ListPosition | undefined {
  if (after === undefined) return undefined;
  const match = POSITION.exec(after);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw invalidArgument([{ field: 'page.cursor', description: 'is not a cursor returned by this list' }]);
  }
  return { occurredAt: match[1], sequence: match[2] };
}

/** The reviewer API over the compliance log (read-only: the service role can only SELECT here). */
export function createAuditReviewService(deps: { pool: Pool; exportBatchSize: number; platform?: PlatformAccess }): AuditReviewService {
  const { pool, exportBatchSize, platform } = deps;
  const queried = (rpc: string, filters: object): ReviewRead => ({ action: 'audit.platform_queried', metadata: { rpc, ...filters } });
  return {
    async list(scope, filter, page) {
      const tenantId = await reviewedTenantOf(platform, scope, queried('ListEvents', { filter, page: { limit: page.limit } }));
      const { items, positions } = await listEvents(pool, tenantId, filter, { limit: page.limit, after: positionOf(page.after) });
      const keyed = items.map((item, index) => ({ item, position: positions[index] ?? '' }));
      const cut = pageOf(keyed, page, (entry) => entry.position);
      return { items: cut.items.map((entry) => entry.item), nextCursor: cut.nextCursor };
    },

    async get(scope, id) {
      const found = await findEvent(pool, await reviewedTenantOf(platform, scope, queried('GetEvent', { id })), id);
      if (found === undefined) throw notFound('AUDIT_EVENT_NOT_FOUND', 'Audit event not found.');
      return found;
    },

    async *export(scope, filter, format) {
      const tenantId = await reviewedTenantOf(platform, scope, { action: 'audit.platform_exported', metadata: { rpc: 'ExportEvents', filter, format } });
      const writer = exportWriter(format);
      let header = writer.header;
      for await (const batch of readEventBatches(pool, tenantId, filter, exportBatchSize)) {
        yield header + batch.map(writer.line).join('');
        header = '';
      }
      if (header !== '') yield header;
    },

    async verify(scope, range) {
      const tenantId = await reviewedTenantOf(platform, scope, queried('VerifyChain', { range: { ...range, fromSeq: range.fromSeq?.toString(), toSeq: range.toSeq?.toString() } }));
      return verifyChain(pool, tenantId, range);
    },
  };
}
