import { auditedBy, recordIdentityAuditEvent, type AuditEventInput, type AuditOrigin } from '@bulkhead/audit';
import { uuidv7, withTransaction } from '@bulkhead/database';
import { AppError, notFound } from '@bulkhead/errors';
import type { ParentCall } from '@bulkhead/grpc-kit';
import { usersOnly, type OrgRole } from '@bulkhead/permissions';
import type { Principal, RevocationList, TokenIssuer } from '@bulkhead/tokens';
import type { Pool, PoolClient } from 'pg';
import { accountsRepository, type MembershipRecord, type UserRecord } from '../accounts/accounts.repository';
import type { IdentityDb } from '../identity-db';
import type { OrganizationsService } from '../organizations/organizations.service';
import type { OrganizationRecord } from '../organizations/organizations.repository';
import type { PasswordHasher } from '../passwords/password-hasher';
import { assertPasswordAcceptableOrThrow } from '../passwords/password-policy';
import { platformRolesRepository } from '../platform-roles/platform-roles.repository';
import type { LoginThrottle } from '../throttling/login-throttle';
import { hashSecret, newSecret, REFRESH_TOKEN_PREFIX } from './opaque-secrets';
import { sessionsRepository } from './sessions.repository';

/** Tokens handed to a signed-in user. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  organizationId: string;
}

export interface SessionsServiceOptions {
  pool: Pool;
  hasher: PasswordHasher;
  issuer: TokenIssuer;
  revocations: RevocationList;
  /** Registers and provisions the new organization inside sign-up's transaction. */
  organizations: Pick<OrganizationsService, 'register'>;
  throttle: LoginThrottle;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  now?: () => Date;
}

const invalidCredentials = (): AppError =>
  new AppError({ kind: 'UNAUTHENTICATED', code: 'INVALID_CREDENTIALS', message: 'The email or password is wrong.' });

const refreshRefused = (code: 'REFRESH_TOKEN_INVALID' | 'REFRESH_TOKEN_REUSED' | 'SESSION_REVOKED' | 'SESSION_EXPIRED', message: string): AppError =>
  new AppError({ kind: 'UNAUTHENTICATED', code, message });

/**
 * Sign-up, sign-in and sessions. A session is one refresh-token family: every refresh (and
 * every org switch) retires the session's current refresh token and issues the next; a retired
 * token presented again revokes the session (someone else holds a copy).
 */
export function createSessionsService(options: SessionsServiceOptions) {
  const now = options.now ?? (() => new Date());
  // Long enough that no access token of a revoked session outlives its revocation entry.
  const revocationTtlSeconds = options.accessTokenTtlSeconds + 60;

  async function issueTokens(db: IdentityDb, session: { id: string; userId: string }, membership: MembershipRecord): Promise<SessionTokens> {
    const refreshToken = newSecret(REFRESH_TOKEN_PREFIX);
    await sessionsRepository.insertRefreshToken(db, {
      hash: hashSecret(refreshToken),
      sessionId: session.id,
      organizationId: membership.organizationId,
    });
    const access = await options.issuer.issueAccessToken({
      sub: session.userId,
      tid: membership.organizationId,
      role: membership.role,
      sid: session.id,
      scope: [],
      // Read at every issue (login, refresh, switch-org): a revoked grant is gone from the next
      // token, so it outlives its revocation by at most one access-token life.
      platformRoles: await platformRolesRepository.liveRoles(db, session.userId),
    });
    return { accessToken: access.token, refreshToken, expiresIn: access.expiresIn, organizationId: membership.organizationId };
  }

  async function openSession(db: IdentityDb, userId: string, membership: MembershipRecord, client: AuditOrigin): Promise<SessionTokens> {
    const session = { id: uuidv7(), userId };
    await sessionsRepository.createSession(db, {
      ...session,
      expiresAt: new Date(now().getTime() + options.refreshTokenTtlSeconds * 1000),
      clientIp: client.ip,
      userAgent: client.userAgent,
    });
    return issueTokens(db, session, membership);
  }

  /** Records an event of `userId`'s own doing (sign-up, sign-in, sign-out) in `tenantId`'s log, on `db`'s transaction. */
  async function recordUserEvent(
    db: PoolClient,
    event: { tenantId: string; userId: string; origin: AuditOrigin } & Pick<AuditEventInput, 'action' | 'resource' | 'outcome' | 'changes' | 'metadata'>,
  ): Promise<void> {
    const { tenantId, userId, origin, ...rest } = event;
    await recordIdentityAuditEvent(db, { ...auditedBy({ principal: { type: 'user', subject: userId }, origin }), tenantId, ...rest });
  }

  /**
   * auth.login_failed, in a transaction of its own (the sign-in is refused). Only for an email
   * that is a user's: an unknown email belongs to no tenant, and writing it into one would let
   * anyone fill any tenant's log. The tenant is the organization the sign-in targeted when the
   * user belongs to it, else their first organization; a user of none has no log to write to.
   */
  async function recordLoginFailure(input: { email: string; organizationId: string | undefined }, origin: AuditOrigin, reason: string): Promise<void> {
    const user = await accountsRepository.findUserByEmail(options.pool, input.email);
    if (user === undefined) return;
    const memberships = await accountsRepository.listMemberships(options.pool, user.id);
    const tenant = memberships.find((m) => m.organizationId === input.organizationId) ?? memberships[0];
    if (tenant === undefined) return;
    await withTransaction(options.pool, (db) =>
      recordUserEvent(db, {
        tenantId: tenant.organizationId,
        userId: user.id,
        origin,
        action: 'auth.login_failed',
        resource: { type: 'user', id: user.id },
        outcome: 'failed',
        metadata: { reason, ...(input.organizationId === undefined ? {} : { targetOrganizationId: input.organizationId }) },
      }),
    );
  }

  async function revoke(sessionId: string): Promise<void> {
    await options.revocations.revokeSession(sessionId, revocationTtlSeconds);
  }

  return {
    async signUp(
      input: { email: string; password: string; name: string; organizationName: string },
      client: AuditOrigin,
      parent: ParentCall | undefined,
    ): Promise<{ user: UserRecord; organization: OrganizationRecord; tokens: SessionTokens }> {
      assertPasswordAcceptableOrThrow(input.password, { email: input.email });
      // Hashing happens before the transaction: no connection is held for the Argon2id work.
      const passwordHash = await options.hasher.hash(input.password);
      return withTransaction(options.pool, async (db) => {
        const user = await accountsRepository.insertUser(db, { id: uuidv7(), email: input.email, name: input.name, passwordHash });
        const organization = await options.organizations.register(db, { name: input.organizationName, slug: undefined, ownerId: user.id }, parent);
        const role: OrgRole = 'owner';
        const tokens = await openSession(db, user.id, { organizationId: organization.id, organizationName: organization.name, role }, client);
        await recordUserEvent(db, {
          tenantId: organization.id,
          userId: user.id,
          origin: client,
          action: 'auth.signed_up',
          resource: { type: 'user', id: user.id },
          outcome: 'success',
          changes: { after: { email: user.email, name: user.name, organization: { id: organization.id, name: organization.name, slug: organization.slug } } },
        });
        return { user, organization, tokens };
      });
    },

    async login(input: { email: string; password: string; organizationId: string | undefined }, client: AuditOrigin): Promise<SessionTokens> {
      try {
        await options.throttle.admit(input.email, client.ip);
      } catch (err) {
        await recordLoginFailure(input, client, 'throttled');
        throw err;
      }
      const user = await accountsRepository.findUserByEmail(options.pool, input.email);
      if (!(await options.hasher.verify(user?.passwordHash, input.password)) || user === undefined) {
        await options.throttle.recordFailure(input.email);
        await recordLoginFailure(input, client, 'invalid_credentials');
        throw invalidCredentials();
      }
      await options.throttle.recordSuccess(input.email);
      const memberships = await accountsRepository.listMemberships(options.pool, user.id);
      const membership =
        input.organizationId === undefined ? memberships[0] : memberships.find((m) => m.organizationId === input.organizationId);
      if (membership === undefined) {
        // Recorded in the user's first organization; a user of none has no log (recordLoginFailure).
        await recordLoginFailure(input, client, 'not_a_member');
        if (input.organizationId !== undefined) throw notFound('Organization');
        throw new AppError({ kind: 'FAILED_PRECONDITION', code: 'NO_ORGANIZATION', message: 'This account belongs to no organization.' });
      }
      return withTransaction(options.pool, async (db) => {
        const tokens = await openSession(db, user.id, membership, client);
        await recordUserEvent(db, {
          tenantId: membership.organizationId,
          userId: user.id,
          origin: client,
          action: 'auth.login_succeeded',
          resource: { type: 'user', id: user.id },
          outcome: 'success',
        });
        return tokens;
      });
    },

    async refresh(refreshToken: string, origin: AuditOrigin): Promise<SessionTokens> {
      const outcome = await withTransaction(options.pool, async (db) => {
        const claimed = await sessionsRepository.claimRefreshToken(db, hashSecret(refreshToken));
        if (claimed === undefined) throw refreshRefused('REFRESH_TOKEN_INVALID', 'The refresh token is not valid.');
        if (claimed.sessionRevokedAt !== null) throw refreshRefused('SESSION_REVOKED', 'This session has been signed out.');
        if (claimed.sessionExpiresAt.getTime() <= now().getTime()) throw refreshRefused('SESSION_EXPIRED', 'This session has expired; sign in again.');
        const recordOnSession = (action: 'auth.refresh_reuse_detected' | 'auth.token_refreshed', outcome: 'denied' | 'success') =>
          recordUserEvent(db, { tenantId: claimed.organizationId, userId: claimed.userId, origin, action, resource: { type: 'session', id: claimed.sessionId }, outcome });
        if (claimed.usedAt !== null) {
          // Committed before the error is thrown: the family dies even though this call fails.
          await sessionsRepository.revokeSession(db, claimed.sessionId, 'refresh_reuse');
          await recordOnSession('auth.refresh_reuse_detected', 'denied');
          return { kind: 'reused', sessionId: claimed.sessionId } as const;
        }
        const membership = await accountsRepository.findMembership(db, claimed.userId, claimed.organizationId);
        if (membership === undefined) throw refreshRefused('SESSION_REVOKED', 'You no longer belong to this organization.');
        await sessionsRepository.retireRefreshTokens(db, claimed.sessionId);
        await recordOnSession('auth.token_refreshed', 'success');
        return { kind: 'rotated', tokens: await issueTokens(db, { id: claimed.sessionId, userId: claimed.userId }, membership) } as const;
      });
      if (outcome.kind === 'reused') {
        await revoke(outcome.sessionId);
        throw refreshRefused('REFRESH_TOKEN_REUSED', 'This refresh token was already used; the session has been revoked.');
      }
      return outcome.tokens;
    },

    async logout(principal: Principal, origin: AuditOrigin): Promise<void> {
      if (principal.type !== 'user') throw usersOnly();
      await withTransaction(options.pool, async (db) => {
        await sessionsRepository.revokeSession(db, principal.sessionId, 'logout');
        await recordUserEvent(db, {
          tenantId: principal.tenantId,
          userId: principal.subject,
          origin,
          action: 'auth.logged_out',
          resource: { type: 'session', id: principal.sessionId },
          outcome: 'success',
        });
      });
      await revoke(principal.sessionId);
    },

    /** Recorded in the organization switched to (never naming the one left: another tenant's id). */
    async switchOrg(principal: Principal, organizationId: string, origin: AuditOrigin): Promise<SessionTokens> {
      if (principal.type !== 'user') throw usersOnly();
      return withTransaction(options.pool, async (db) => {
        const membership = await accountsRepository.findMembership(db, principal.subject, organizationId);
        if (membership === undefined) throw notFound('Organization');
        await sessionsRepository.retireRefreshTokens(db, principal.sessionId);
        await recordUserEvent(db, {
          tenantId: organizationId,
          userId: principal.subject,
          origin,
          action: 'auth.org_switched',
          resource: { type: 'session', id: principal.sessionId },
          outcome: 'success',
        });
        return issueTokens(db, { id: principal.sessionId, userId: principal.subject }, membership);
      });
    },

    /** Puts sessions already revoked in the database on the revocation list, so their access tokens stop at once. */
    async revokeAccessTokens(sessionIds: readonly string[]): Promise<void> {
      await Promise.all(sessionIds.map(revoke));
    },

    async me(principal: Principal): Promise<{ user: UserRecord; memberships: MembershipRecord[] }> {
      const user = await accountsRepository.findUserById(options.pool, principal.subject);
      if (user === undefined) throw notFound('User');
      return { user, memberships: await accountsRepository.listMemberships(options.pool, user.id) };
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
