import { loadConfigOrExit } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';
import { workflowConfigShape } from './workflow.config';

const config = loadConfigOrExit('workflow', workflowConfigShape);

void runService({
  name: 'workflow',
  config,
  start: async (dependencies) => (await import('./workflow.server')).startWorkflowServer(config, dependencies),
});
