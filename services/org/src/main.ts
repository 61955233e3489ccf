import { loadConfigOrExit } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';
import { orgConfigShape } from './org.config';

const config = loadConfigOrExit('org', orgConfigShape);

void runService({
  name: 'org',
  config,
  start: async (dependencies) => (await import('./org.server')).startOrgServer(config, dependencies),
});
