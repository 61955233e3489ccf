import { loadConfigOrExit } from '@bulkhead/config';
import { runService } from '@bulkhead/service-runtime';
import { authConfigShape } from './auth.config';

const config = loadConfigOrExit('auth', authConfigShape);
const command = process.argv[2];

if (command === undefined) {
  void runService({
    name: 'auth',
    config,
    start: async (dependencies) => (await import('./auth.server')).startAuthServer(config, dependencies),
  });
} else {
  void import('./auth.cli').then(({ runAuthCommand }) => runAuthCommand(command, config)).then((code) => process.exit(code));
}
