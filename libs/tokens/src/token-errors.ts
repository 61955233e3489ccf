import { AppError } from '@bulkhead/errors';

/** Stable codes of the errors this library throws (all of kind `UNAUTHENTICATED`). */
export type TokenErrorCode = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED';

const MESSAGES: Record<TokenErrorCode, string> = {
  TOKEN_MISSING: 'An access token is required.',
  TOKEN_INVALID: 'The access token is invalid.',
  TOKEN_EXPIRED: 'The access token has expired.',
  TOKEN_REVOKED: 'The access token has been revoked.',
};

/** An `UNAUTHENTICATED` {@link AppError} with a safe message; `cause` is kept for logs only. */
export function tokenError(code: TokenErrorCode, cause?: unknown): AppError {
  return new AppError({
    kind: 'UNAUTHENTICATED',
    code,
    message: MESSAGES[code],
    cause,
  });
}
