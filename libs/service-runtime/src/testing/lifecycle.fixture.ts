// A process that runs an empty service under runService, for the lifecycle spec.
import { runService } from '../service-runtime';

void runService({
  name: 'fixture',
  config: {
    METRICS_PORT: Number(process.env['METRICS_PORT']),
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: 2000,
    LOOP_RESTART_INITIAL_MS: 50,
    LOOP_RESTART_MAX_MS: 200,
    LOOP_DOWN_LIVENESS_MS: Number(process.env['LOOP_DOWN_LIVENESS_MS'] ?? 60_000),
  },
  start: async ({ logger, supervisor }) => {
    if (process.env['FAIL_START'] === '1') throw new Error('database unreachable');
    // A loop whose dependency never answers: it is restarted with backoff, never running.
    if (process.env['BROKEN_LOOP'] === '1') supervisor.supervise('consumer', async () => Promise.reject(new Error('coordinator not available')));
    return {
      checkReadiness: async () => (process.env['NOT_READY'] === '1' ? ['postgres:shard-0'] : []),
      stop: async () => logger.info('fixture drained'),
    };
  },
});
