import { AppError } from '@bulkhead/errors';
import { can, ORG_ROLES, PERMISSIONS, requirePermission, type Permission } from './index';

describe('the permission table', () => {
  const rows = Object.entries(PERMISSIONS).flatMap(([permission, allowed]) =>
    ORG_ROLES.map((role) => [permission as Permission, role, (allowed as readonly string[]).includes(role)] as const),
  );

  it.each(rows)('%s for %s: allowed=%s', (permission, role, allowed) => {
    expect(can({ role }, permission)).toBe(allowed);
    if (allowed) expect(() => requirePermission({ role }, permission)).not.toThrow();
    else expect(() => requirePermission({ role }, permission)).toThrow(expect.objectContaining({ kind: 'PERMISSION_DENIED' }));
  });

  it('only owners and admins manage API keys', () => {
    expect(ORG_ROLES.filter((role) => can({ role }, 'apiKeys.manage'))).toEqual(['owner', 'admin']);
  });

  it('allows an unknown role nothing and names the permission it lacked', () => {
    let thrown: unknown;
    try {
      requirePermission({ role: 'superuser' }, 'apiKeys.manage');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).details).toEqual({ permission: 'apiKeys.manage' });
  });
});
