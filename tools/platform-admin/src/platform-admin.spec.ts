import { parseAdminArgs, UsageError } from './platform-admin';

const usageError = (argv: string[]): string => {
  try {
    parseAdminArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
};

describe('parseAdminArgs', () => {
  it('reads grant and revoke with the operator', () => {
    expect(parseAdminArgs(['grant', 'compliance', 'ana@example.com', '--by', 'ops-jo'])).toEqual({
      kind: 'grant',
      role: 'compliance',
      email: 'ana@example.com',
      operator: 'ops-jo',
    });
    expect(parseAdminArgs(['revoke', 'compliance', 'ana@example.com', '--by=ops-jo'])).toMatchObject({ kind: 'revoke', operator: 'ops-jo' });
  });

  it('reads list, live grants by default', () => {
    expect(parseAdminArgs(['list'])).toEqual({ kind: 'list', includeRevoked: false });
    expect(parseAdminArgs(['list', '--all'])).toEqual({ kind: 'list', includeRevoked: true });
  });

  it('refuses a change without --by: every grant and revocation names who made it', () => {
    expect(usageError(['grant', 'compliance', 'ana@example.com'])).toMatch(/--by/);
    expect(usageError(['revoke', 'compliance', 'ana@example.com', '--by', '  '])).toMatch(/--by/);
  });

  it('refuses an unknown command, role or option, a missing email, extra words', () => {
    expect(usageError([])).toMatch(/unknown command/);
    expect(usageError(['promote', 'compliance', 'a@b.c', '--by', 'x'])).toMatch(/unknown command "promote"/);
    expect(usageError(['grant', 'owner', 'a@b.c', '--by', 'x'])).toMatch(/unknown role "owner"/);
    expect(usageError(['grant', 'compliance', '--by', 'x'])).toMatch(/email/);
    expect(usageError(['grant', 'compliance', 'not-an-email', '--by', 'x'])).toMatch(/email/);
    expect(usageError(['grant', 'compliance', 'a@b.c', 'more', '--by', 'x'])).toMatch(/unexpected arguments: more/);
    expect(usageError(['grant', 'compliance', 'a@b.c', '--by', 'x', '--force'])).toMatch(/--force/);
    expect(usageError(['grant', 'compliance', 'a@b.c', '--by', 'x', '--all'])).toMatch(/--all is for list only/);
    expect(usageError(['list', 'compliance'])).toMatch(/list takes no/);
  });
});
