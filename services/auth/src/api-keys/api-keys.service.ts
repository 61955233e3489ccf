import { auditedBy, recordIdentityAuditEvent, type AuditOrigin } from '@bulkhead/audit';
import { uuidv7, withTransaction } from '@bulkhead/database';
import { AppError, invalidArgument, notFound } from '@bulkhead/errors';
import { pageOf, type PageWindow, type ParentCall } from '@bulkhead/grpc-kit';
import { requirePermission, type ApiKeyRole } from '@bulkhead/permissions';
import type { Principal, RevocationList, TokenIssuer } from '@bulkhead/tokens';
import type { Metadata } from '@grpc/grpc-js';
import type { Pool } from 'pg';
import { API_KEY_PREFIX, hashSecret, newSecret } from '../sessions/opaque-secrets';
import { apiKeysRepository, type ApiKeyRecord } from './api-keys.repository';
import type { ProjectLookup } from './project-lookup';

/** Characters of the secret kept in clear to recognise a key in a list (`bhk_` plus 8). */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export interface ApiKeysServiceOptions {
  pool: Pool;
  issuer: TokenIssuer;
  revocations: RevocationList;
  projects: ProjectLookup;
  accessTokenTtlSeconds: number;
  now?: () => Date;
}

export interface NewApiKey {
  name: string;
  role: ApiKeyRole;
  scopes: string[];
  expiresAt?: Date | undefined;
  projectId: string | undefined;
}

/** The call creating a key: its audit origin, and the creator's own token to look its project up with. */
export interface CreatingCall {
  origin: AuditOrigin;
  metadata: Metadata;
  parent: ParentCall | undefined;
}

/**
 * API keys: created by owners and admins, shown once, stored as a SHA-256 hash. A key is used
 * by exchanging it for a short-lived access token whose `sid` is the key's id, so revoking
 * the key revokes those tokens through the same revocation list as a logout. The token carries
 * the key's scopes (`scope`) and project (`pid`), which the permission table holds it to
 * (ADR 0013). Only people create keys (a key cannot mint keys), and only owners and admins, who
 * hold every scope and see every project, so a key never holds more than its creator.
 */
export function createApiKeysService(options: ApiKeysServiceOptions) {
  const now = options.now ?? (() => new Date());
  return {
    async create(principal: Principal, input: NewApiKey, call: CreatingCall): Promise<{ apiKey: ApiKeyRecord; secret: string }> {
      const { origin } = call;
      requirePermission(principal, 'apiKeys.manage');
      if (input.expiresAt !== undefined && input.expiresAt.getTime() <= now().getTime()) {
        throw invalidArgument([{ field: 'expiresAt', description: 'must be in the future' }]);
      }
      if (input.projectId !== undefined) await options.projects.requireVisible(input.projectId, call.metadata, call.parent);
      const secret = newSecret(API_KEY_PREFIX);
      const apiKey = await withTransaction(options.pool, async (db) => {
        const inserted = await apiKeysRepository.insert(db, {
          id: uuidv7(),
          organizationId: principal.tenantId,
          projectId: input.projectId ?? null,
          name: input.name,
          prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH),
          secretHash: hashSecret(secret),
          role: input.role,
          scopes: input.scopes,
          createdBy: principal.type === 'user' ? principal.subject : null,
          expiresAt: input.expiresAt ?? null,
        });
        await recordIdentityAuditEvent(db, {
          ...auditedBy({ principal, origin }),
          tenantId: principal.tenantId,
          action: 'api_key.created',
          resource: { type: 'api_key', id: inserted.id },
          outcome: 'success',
          // Never the secret, nor its visible prefix.
          changes: { after: { name: inserted.name, role: inserted.role, scopes: inserted.scopes, projectId: inserted.projectId, expiresAt: inserted.expiresAt } },
        });
        return inserted;
      });
      return { apiKey, secret };
    },

    async list(principal: Principal, window: PageWindow): Promise<{ items: ApiKeyRecord[]; nextCursor: string }> {
      requirePermission(principal, 'apiKeys.manage');
      const rows = await apiKeysRepository.list(options.pool, principal.tenantId, window.limit + 1, window.after);
      return pageOf(rows, window, (key) => key.id);
    },

    /** Revokes a key of the caller's org; revoking a revoked key succeeds; another org's key is NOT_FOUND. */
    async revoke(principal: Principal, id: string, origin: AuditOrigin): Promise<void> {
      requirePermission(principal, 'apiKeys.manage');
      const key = await withTransaction(options.pool, async (db) => {
        const revoked = await apiKeysRepository.revoke(db, principal.tenantId, id);
        if (revoked === undefined) throw notFound('ApiKey');
        // Revoking a revoked key succeeds but changes nothing: no second event.
        if (revoked.revokedNow) {
          await recordIdentityAuditEvent(db, {
            ...auditedBy({ principal, origin }),
            tenantId: principal.tenantId,
            action: 'api_key.revoked',
            resource: { type: 'api_key', id: revoked.key.id },
            outcome: 'success',
            changes: { before: { name: revoked.key.name, role: revoked.key.role } },
          });
        }
        return revoked.key;
      });
      await options.revocations.revokeSession(key.id, options.accessTokenTtlSeconds + 60);
    },

    async find(principal: Principal): Promise<ApiKeyRecord> {
      const key = await apiKeysRepository.find(options.pool, principal.tenantId, principal.subject);
      if (key === undefined) throw notFound('ApiKey');
      return key;
    },

    async exchange(secret: string): Promise<{ accessToken: string; expiresIn: number; organizationId: string }> {
      const key = secret.startsWith(API_KEY_PREFIX) ? await apiKeysRepository.useBySecretHash(options.pool, hashSecret(secret)) : undefined;
      if (key === undefined) {
        throw new AppError({ kind: 'UNAUTHENTICATED', code: 'API_KEY_INVALID', message: 'The API key is not valid, revoked or expired.' });
      }
      const access = await options.issuer.issueAccessToken({
        sub: key.id,
        tid: key.organizationId,
        role: key.role,
        sid: key.id,
        scope: key.scopes,
        principalType: 'apiKey',
        ...(key.projectId === null ? {} : { projectId: key.projectId }),
      });
      return { accessToken: access.token, expiresIn: access.expiresIn, organizationId: key.organizationId };
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
