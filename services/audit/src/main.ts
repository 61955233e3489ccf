import { loadConfigOrExit } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';
import { auditConfigShape } from './audit.config';

const config = loadConfigOrExit('audit', auditConfigShape);

void runService({
  name: 'audit',
  config,
  start: async (dependencies) => (await import('./audit.server')).startAuditServer(config, dependencies),
});
