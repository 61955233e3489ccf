import { workspaceRoot } from '@bulkhead/testkit';
import { ConfigError } from '@bulkhead/config';
import { DevstackError } from './devstack-error';
import { readDevstackSettings } from './devstack-settings';
import { SELF_CONTROLLED, down, previousEnv, startComponent, status, stopComponent, up, type SelfControlled } from './devstack';
import { killLocalKafka } from './kafka.local';
import { movedPorts } from './free-ports';
import { run } from './processes';
import { runPlatform } from './platform';
import { withStateLock } from './state-lock';

const USAGE = `usage: npm run devstack -- <command>
  up                     start what is missing, check what runs, write .devstack/env.json
  status                 each component and whether it answers
  down [--purge]         stop what the devstack started (--purge also deletes its data)
  start|stop redis|kafka one local component (the controls fault-injection tests run)
  start|stop pg-a|pg-b   one PostgreSQL server of the recorded devstack (pg-a: identity, shards 0 and 1)
  kill kafka             SIGKILL the local broker (a crash, not a stop); start it again with start
  platform               up, then build and run every service against it (npm start)
  free-ports             print \`export\` lines moving each port another process holds to a free one (CI)`;

const log = (line: string): void => {
  process.stderr.write(`devstack: ${line}\n`);
};
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function isSelfControlled(value: string | undefined): value is SelfControlled {
  return (SELF_CONTROLLED as readonly string[]).includes(value ?? '');
}

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  const settings = readDevstackSettings(workspaceRoot());
  const locked = <T>(fn: () => Promise<T>): Promise<T> => withStateLock(settings.stateDir, log, fn);
  switch (command) {
    case 'up': {
      const started = Date.now();
      const env = await locked(() => up(settings, log));
      log(
        `up in ${((Date.now() - started) / 1000).toFixed(1)}s: postgres ${env.modes.postgres} (${env.shards.length} shards on ${env.postgresServers.length} servers), redis ${env.modes.redis}, kafka ${env.modes.kafka}; settings in ${settings.envFile}`,
      );
      return 0;
    }
    case 'platform':
      return runPlatform(settings.workspace, await locked(() => up(settings, log)), log);
    case 'free-ports':
      // A recorded devstack holds its own ports: moving them would start this one twice.
      if (previousEnv(settings) !== undefined) {
        log(`ports kept: this checkout's devstack is recorded in ${settings.envFile}`);
        return 0;
      }
      for (const [variable, port] of Object.entries(await movedPorts(settings))) {
        log(`taken by another process, so ${variable}=${port}`);
        print(`export ${variable}=${port}`);
      }
      return 0;
    case 'status':
      return (await status(settings, print)) ? 0 : 1;
    case 'down':
      if (arg !== undefined && arg !== '--purge') throw new DevstackError(`down takes only --purge, got "${arg}"`);
      await locked(() => down(settings, arg === '--purge'));
      return 0;
    case 'kill':
      if (arg !== 'kafka') throw new DevstackError(`kill takes kafka, got "${arg ?? ''}"`);
      await locked(() => killLocalKafka(settings));
      return 0;
    case 'start':
    case 'stop': {
      // A PostgreSQL server runs its recorded control (pg_ctlcluster, or the container's).
      const recorded = previousEnv(settings);
      const control = recorded?.postgresServers.some((server) => server.id === arg) === true ? recorded.controls[arg as string]?.[command] : undefined;
      if (control !== undefined) {
        const [program, ...args] = control as [string, ...string[]];
        await locked(async () => void run(program, args, `${command} ${String(arg)} failed`));
        return 0;
      }
      if (!isSelfControlled(arg)) throw new DevstackError(`${command} takes ${SELF_CONTROLLED.join(', ')} or a PostgreSQL server of the devstack (pg-a, pg-b), got "${arg ?? ''}"`);
      await locked(() => (command === 'start' ? startComponent(settings, arg, log) : stopComponent(settings, arg)));
      return 0;
    }
    default:
      print(USAGE);
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DevstackError) {
      log(err.message);
    } else if (err instanceof ConfigError) {
      const problems = err.issues.map((i) => `${i.variable} ${i.problem}`).join('; ');
      log(`invalid service URLs in the environment: ${problems}: fix them, or unset them to let the devstack start its own`);
    } else {
      log(`unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    process.exit(1);
  },
);
