import { AppError } from '@bulkhead/errors';
import { canOnPlatform, isPlatformRole, requirePlatformPermission } from './platform-permissions';

describe('platform permissions', () => {
  it('allows platform.audit.read to the compliance role only', () => {
    expect(canOnPlatform({ platformRoles: ['compliance'] }, 'platform.audit.read')).toBe(true);
    expect(canOnPlatform({ platformRoles: [] }, 'platform.audit.read')).toBe(false);
    expect(canOnPlatform({}, 'platform.audit.read')).toBe(false);
  });

  it('never lets an organization role stand in for a platform role', () => {
    for (const role of ['owner', 'admin', 'auditor', 'service']) {
      expect(canOnPlatform({ platformRoles: [role] }, 'platform.audit.read')).toBe(false);
    }
  });

  it('refuses with PERMISSION_DENIED naming the permission', () => {
    let caught: unknown;
    try {
      requirePlatformPermission({ platformRoles: [] }, 'platform.audit.read');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect(caught).toMatchObject({ kind: 'PERMISSION_DENIED', code: 'PLATFORM_ROLE_REQUIRED', details: { permission: 'platform.audit.read' } });
  });

  it('knows its roles', () => {
    expect(isPlatformRole('compliance')).toBe(true);
    expect(isPlatformRole('owner')).toBe(false);
  });
});
