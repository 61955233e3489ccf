import { loadConfigOrExit, serviceConfigShape } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';

const config = loadConfigOrExit('auth', serviceConfigShape);

void runService({
  name: 'auth',
  config,
  start: async (dependencies) => (await import('./auth.server')).startAuthServer(config, dependencies),
});
