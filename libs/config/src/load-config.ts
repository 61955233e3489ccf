import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';

/** Environment variable name → field parser. Keys are the variables' names exactly. */
export type EnvSchemaShape = Record<string, z.ZodType>;

export type EnvConfig<S extends EnvSchemaShape> = z.infer<z.ZodObject<S>>;

/**
 * Parses the environment into a typed config object. Unknown variables are ignored; every
 * missing or invalid one is reported together in one {@link ConfigError}, by name.
 * Optional variables are written `field.optional()` or `field.default(value)`.
 */
export function loadConfig<S extends EnvSchemaShape>(
  shape: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EnvConfig<S> {
  const input: Record<string, string | undefined> = {};
  for (const name of Object.keys(shape)) {
    const raw = env[name];
    // An empty variable means "not set": `FOO= npm start` should fall back to the default.
    input[name] = raw === undefined || raw.trim() === '' ? undefined : raw;
  }
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map(toConfigIssue));
}

function toConfigIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const [variable, ...rest] = issue.path.map(String);
  const where = rest.length > 0 ? ` (at ${rest.join('.')})` : '';
  return { variable: variable ?? '(environment)', problem: `${issue.message}${where}` };
}

/**
 * {@link loadConfig} for a process entry point: on invalid configuration it prints the
 * problems on stderr and exits with status 78 (EX_CONFIG) instead of throwing.
 */
export function loadConfigOrExit<S extends EnvSchemaShape>(
  serviceName: string,
  shape: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EnvConfig<S> {
  try {
    return loadConfig(shape, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${serviceName}: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
