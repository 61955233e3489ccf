import { loadConfigOrExit } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';
import { projectConfigShape } from './project.config';

const config = loadConfigOrExit('project', projectConfigShape);

void runService({
  name: 'project',
  config,
  start: async (dependencies) => (await import('./project.server')).startProjectServer(config, dependencies),
});
