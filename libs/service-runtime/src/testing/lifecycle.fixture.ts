// A process that runs an empty service under runService, for the lifecycle spec.
import { runService } from '../service-runtime';

void runService({
  name: 'fixture',
  config: { METRICS_PORT: Number(process.env['METRICS_PORT']), LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: 2000 },
  start: async ({ logger }) => {
    if (process.env['FAIL_START'] === '1') throw new Error('database unreachable');
    return {
      checkReadiness: async () => (process.env['NOT_READY'] === '1' ? ['postgres:shard-0'] : []),
      stop: async () => logger.info('fixture drained'),
    };
  },
});
