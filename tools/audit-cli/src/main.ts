import { cliEnvironmentOf, parseCliArgs, USAGE, UsageError } from './audit-cli.args';
import { ApiError, EXIT, runCli } from './audit-cli';

// `npm run audit -- query|export|verify …`: the reviewers' command line over the gateway's
// REST API (see USAGE). Exit status: 0 ok, 1 refused or failed, 2 chain broken, 64 bad usage.
async function main(): Promise<number> {
  let command;
  let env;
  try {
    command = parseCliArgs(process.argv.slice(2));
    env = cliEnvironmentOf(process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`audit: ${err.message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  try {
    return await runCli(command, env, { out: (text) => process.stdout.write(text) });
  } catch (err) {
    process.stderr.write(`audit: ${err instanceof ApiError ? err.message : `failed: ${err instanceof Error ? err.message : String(err)}`}\n`);
    return EXIT.failed;
  }
}

void main().then((status) => {
  process.exitCode = status;
});
