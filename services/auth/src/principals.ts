import { AppError } from '@bulkhead/errors';

/** For RPCs only a signed-in user may call (not an API key, not a service). */
export const usersOnly = (): AppError =>
  new AppError({ kind: 'PERMISSION_DENIED', code: 'USER_ONLY', message: 'Only a signed-in user can do this; API keys cannot.' });
