import { loadConfigOrExit } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';
import { gatewayConfigShape } from './gateway.config';

const config = loadConfigOrExit('gateway', gatewayConfigShape);

void runService({
  name: 'gateway',
  config,
  start: async (dependencies) => (await import('./gateway.bootstrap')).bootstrapGateway(config, dependencies),
});
