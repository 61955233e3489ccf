import { AppError } from '@bulkhead/errors';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { OTHER_TENANT_ID, TENANT_ID, USER_ID } from '../testing/test-tokens';

const OTHER_USER_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a62';

describe('member routes', () => {
  let fixture: GatewayFixture;
  let headers: Record<string, string>;

  beforeAll(async () => {
    fixture = await createGatewayFixture();
    headers = { authorization: `Bearer ${await fixture.tokens.sign()}` };
  });

  afterAll(() => fixture.close());

  const members = (orgId = TENANT_ID) => `/v1/orgs/${orgId}/members`;

  it("lists the organization's members with the default page", async () => {
    const response = await fixture.app.inject({ method: 'GET', url: members(), headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [{ userId: USER_ID, email: 'ada@example.com', name: 'Ada', role: 'owner', joinedAt: '2026-01-02T03:04:05.000Z' }],
      nextCursor: null,
    });
    expect(fixture.orgService.lastRequest('listMembers')).toEqual({ organizationId: TENANT_ID, page: { pageSize: 50, cursor: '' } });
  });

  it("changes a member's role", async () => {
    const response = await fixture.app.inject({ method: 'PATCH', url: `${members()}/${OTHER_USER_ID}`, headers, payload: { role: 'admin' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ userId: OTHER_USER_ID, role: 'admin' });
    expect(fixture.orgService.lastRequest('updateMemberRole')).toEqual({ organizationId: TENANT_ID, userId: OTHER_USER_ID, role: 'admin' });
  });

  it('refuses an unknown role, a missing role and unknown fields, naming each', async () => {
    const unknownRole = await fixture.app.inject({ method: 'PATCH', url: `${members()}/${OTHER_USER_ID}`, headers, payload: { role: 'god' } });
    expect(unknownRole.statusCode).toBe(400);
    expect(unknownRole.json().errors).toEqual([{ field: 'body.role', message: expect.any(String) }]);
    const extra = await fixture.app.inject({ method: 'PATCH', url: `${members()}/${OTHER_USER_ID}`, headers, payload: { email: 'x@example.com' } });
    expect(extra.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.email', 'body.role']);
  });

  it('removes a member with 204', async () => {
    const response = await fixture.app.inject({ method: 'DELETE', url: `${members()}/${OTHER_USER_ID}`, headers });
    expect(response.statusCode).toBe(204);
    expect(fixture.orgService.lastRequest('removeMember')).toEqual({ organizationId: TENANT_ID, userId: OTHER_USER_ID });
  });

  it('answers 409 when the last owner would be demoted or removed', async () => {
    const lastOwner = () => new AppError({ kind: 'FAILED_PRECONDITION', code: 'LAST_OWNER', message: 'The last owner cannot leave or be demoted.' });
    fixture.orgService.failNext('removeMember', lastOwner());
    const removed = await fixture.app.inject({ method: 'DELETE', url: `${members()}/${USER_ID}`, headers });
    expect(removed.statusCode).toBe(409);
    expect(removed.json()).toMatchObject({ code: 'LAST_OWNER' });
    fixture.orgService.failNext('updateMemberRole', lastOwner());
    const demoted = await fixture.app.inject({ method: 'PATCH', url: `${members()}/${USER_ID}`, headers, payload: { role: 'member' } });
    expect(demoted.statusCode).toBe(409);
  });

  it('answers 404 for a user who is not a member', async () => {
    fixture.orgService.failNext('removeMember', new AppError({ kind: 'NOT_FOUND', code: 'MEMBER_NOT_FOUND', message: 'Member not found' }));
    const response = await fixture.app.inject({ method: 'DELETE', url: `${members()}/${OTHER_USER_ID}`, headers });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'MEMBER_NOT_FOUND' });
  });

  it("answers 404 for another organization's members without forwarding", async () => {
    const before = fixture.orgService.callCount('listMembers') + fixture.orgService.callCount('updateMemberRole') + fixture.orgService.callCount('removeMember');
    expect((await fixture.app.inject({ method: 'GET', url: members(OTHER_TENANT_ID), headers })).statusCode).toBe(404);
    const patch = await fixture.app.inject({ method: 'PATCH', url: `${members(OTHER_TENANT_ID)}/${USER_ID}`, headers, payload: { role: 'owner' } });
    expect(patch.statusCode).toBe(404);
    expect((await fixture.app.inject({ method: 'DELETE', url: `${members(OTHER_TENANT_ID)}/${USER_ID}`, headers })).statusCode).toBe(404);
    const after = fixture.orgService.callCount('listMembers') + fixture.orgService.callCount('updateMemberRole') + fixture.orgService.callCount('removeMember');
    expect(after).toBe(before);
  });

  it('refuses non-UUID path ids naming each', async () => {
    const response = await fixture.app.inject({ method: 'DELETE', url: '/v1/orgs/acme/members/ada', headers });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['params.orgId', 'params.userId']);
  });
});
