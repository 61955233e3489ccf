import { invalidArgument } from '@bulkhead/errors';

/** Shortest accepted password, in characters. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password, in UTF-8 bytes: hashing cost must not be the caller's choice. */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * Refuses a password that breaks the minimum policy, naming the field and the rule. Checked
 * before anything is hashed or written.
 */
export function assertPasswordAcceptableOrThrow(password: string, context: { email: string }): void {
  const problems: string[] = [];
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) problems.push(`must be at most ${MAX_PASSWORD_BYTES} bytes`);
  else if ([...password].length < MIN_PASSWORD_LENGTH) problems.push(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  else if (new Set(password).size < 4) problems.push('must use at least 4 different characters');
  else if (password.toLowerCase().includes(context.email.toLowerCase().split('@')[0] ?? '\u0000')) {
    problems.push('must not contain the email address');
  }
  if (problems.length > 0) throw invalidArgument(problems.map((description) => ({ field: 'password', description })));
}
