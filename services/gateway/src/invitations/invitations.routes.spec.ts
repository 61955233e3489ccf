import { AppError } from '@bulkhead/errors';
import { INVITATION_ID, INVITATION_TOKEN } from '../testing/fake-org-service';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { OTHER_TENANT_ID, TENANT_ID, USER_ID } from '../testing/test-tokens';

describe('invitation routes', () => {
  let fixture: GatewayFixture;
  let headers: Record<string, string>;

  beforeAll(async () => {
    fixture = await createGatewayFixture();
    headers = { authorization: `Bearer ${await fixture.tokens.sign()}` };
  });

  afterAll(() => fixture.close());

  const invitations = (orgId = TENANT_ID) => `/v1/orgs/${orgId}/invitations`;
  const invitation = {
    id: INVITATION_ID,
    email: 'grace@example.com',
    role: 'member',
    status: 'pending',
    createdBy: USER_ID,
    createdAt: '2026-01-02T03:04:05.000Z',
    expiresAt: '2026-01-09T03:04:05.000Z',
    acceptedAt: null,
    revokedAt: null,
  };

  it('invites: 201 with the invitation and its token, not cacheable', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: invitations(),
      headers,
      payload: { email: 'grace@example.com', role: 'admin', expiresInHours: 48 },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ invitation: { ...invitation, role: 'admin' }, token: INVITATION_TOKEN });
    expect(fixture.orgService.lastRequest('createInvitation')).toEqual({
      organizationId: TENANT_ID,
      email: 'grace@example.com',
      role: 'admin',
      expiresInHours: 48,
    });
    await fixture.app.inject({ method: 'POST', url: invitations(), headers, payload: { email: 'grace@example.com', role: 'viewer' } });
    expect(fixture.orgService.lastRequest('createInvitation')).toMatchObject({ expiresInHours: 0 });
  });

  it('refuses a bad email, a bad role, a too-long expiry and unknown fields, naming each', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: invitations(),
      headers,
      payload: { email: 'grace', role: 'emperor', expiresInHours: 10_000, token: 'bhi_mine' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.email',
      'body.expiresInHours',
      'body.role',
      'body.token',
    ]);
  });

  it("answers 402 naming the limit and the plan when the organization is full (the service's details pass through)", async () => {
    fixture.orgService.failNext(
      'createInvitation',
      new AppError({
        kind: 'QUOTA_EXCEEDED',
        code: 'PLAN_LIMIT_REACHED',
        message: 'The basic plan allows 5 members.',
        details: { limit: 'members', plan: 'basic', max: '5', used: '5' },
      }),
    );
    const response = await fixture.app.inject({ method: 'POST', url: invitations(), headers, payload: { email: 'eve@example.com', role: 'member' } });
    expect(response.statusCode).toBe(402);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 402, code: 'PLAN_LIMIT_REACHED', limit: 'members', plan: 'basic', max: '5', used: '5' });
  });

  it('lists invitations and revokes one with 204', async () => {
    const list = await fixture.app.inject({ method: 'GET', url: `${invitations()}?limit=5`, headers });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [invitation], nextCursor: null });
    expect(fixture.orgService.lastRequest('listInvitations')).toEqual({ organizationId: TENANT_ID, page: { pageSize: 5, cursor: '' } });
    const revoked = await fixture.app.inject({ method: 'DELETE', url: `${invitations()}/${INVITATION_ID}`, headers });
    expect(revoked.statusCode).toBe(204);
    expect(fixture.orgService.lastRequest('revokeInvitation')).toEqual({ organizationId: TENANT_ID, id: INVITATION_ID });
  });

  it("answers 404 for another organization's invitations without forwarding, and 400 for a bad id", async () => {
    const before = fixture.orgService.callCount('createInvitation') + fixture.orgService.callCount('listInvitations') + fixture.orgService.callCount('revokeInvitation');
    const created = await fixture.app.inject({ method: 'POST', url: invitations(OTHER_TENANT_ID), headers, payload: { email: 'x@example.com', role: 'owner' } });
    expect(created.statusCode).toBe(404);
    expect((await fixture.app.inject({ method: 'GET', url: invitations(OTHER_TENANT_ID), headers })).statusCode).toBe(404);
    expect((await fixture.app.inject({ method: 'DELETE', url: `${invitations(OTHER_TENANT_ID)}/${INVITATION_ID}`, headers })).statusCode).toBe(404);
    const after = fixture.orgService.callCount('createInvitation') + fixture.orgService.callCount('listInvitations') + fixture.orgService.callCount('revokeInvitation');
    expect(after).toBe(before);
    const bad = await fixture.app.inject({ method: 'DELETE', url: `${invitations()}/42`, headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ field: 'params.id', message: expect.any(String) }]);
  });

  it('accepts an invitation through the auth service: 200 with the membership', async () => {
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/invitations/accept', headers, payload: { token: INVITATION_TOKEN } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ organizationId: OTHER_TENANT_ID, organizationName: 'Globex', role: 'member' });
    expect(fixture.fake.lastRequest('acceptInvitation')).toEqual({ token: INVITATION_TOKEN });
    expect(fixture.fake.lastPrincipal('acceptInvitation')).toMatchObject({ subject: USER_ID });
  });

  it('answers 409 for an expired, revoked or used invitation, and 400 without a token', async () => {
    fixture.fake.failNext(
      'acceptInvitation',
      new AppError({ kind: 'FAILED_PRECONDITION', code: 'INVITATION_EXPIRED', message: 'The invitation has expired.' }),
    );
    const expired = await fixture.app.inject({ method: 'POST', url: '/v1/invitations/accept', headers, payload: { token: INVITATION_TOKEN } });
    expect(expired.statusCode).toBe(409);
    expect(expired.json()).toMatchObject({ code: 'INVITATION_EXPIRED' });
    const missing = await fixture.app.inject({ method: 'POST', url: '/v1/invitations/accept', headers, payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([{ field: 'body.token', message: expect.any(String) }]);
  });

  it('requires a token to accept', async () => {
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: INVITATION_TOKEN } });
    expect(response.statusCode).toBe(401);
  });
});
