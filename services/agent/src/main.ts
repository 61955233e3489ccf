import { loadConfigOrExit } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';
import { agentConfigShape } from './agent.config';

const config = loadConfigOrExit('agent', agentConfigShape);

void runService({
  name: 'agent',
  config,
  start: async (dependencies) => (await import('./agent.server')).startAgentServer(config, dependencies),
});
