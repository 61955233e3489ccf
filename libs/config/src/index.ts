import { x } from '@bulkhead/errors';
export const y = x + 1;
