import { freePort } from '@bulkhead/testkit';
import { PORT_VARIABLES, type DevstackSettings } from './devstack-settings';
import { isPortOpen } from './ports';

/**
 * For CI on a shared machine: the port variables to set so that this devstack starts beside
 * whatever holds its ports (a developer's devstack, another checkout's), instead of stopping on
 * the conflict. Only taken ports move; PostgreSQL's pair is given whole.
 */
export async function movedPorts(
  settings: DevstackSettings,
  isTaken: (port: number) => Promise<boolean> = isPortOpen,
  pick: () => Promise<number> = freePort,
): Promise<Record<string, string>> {
  const free = async (port: number): Promise<number> => ((await isTaken(port)) ? pick() : port);
  const moved: Record<string, string> = {};
  const postgres = [await free(settings.postgresPorts[0]), await free(settings.postgresPorts[1])];
  if (postgres.some((port, i) => port !== settings.postgresPorts[i])) moved[PORT_VARIABLES.postgres] = postgres.join(',');
  const single = [
    [PORT_VARIABLES.redis, settings.redisPort],
    [PORT_VARIABLES.kafka, settings.kafkaPort],
    [PORT_VARIABLES.kafkaController, settings.kafkaControllerPort],
  ] as const;
  for (const [variable, port] of single) {
    const chosen = await free(port);
    if (chosen !== port) moved[variable] = String(chosen);
  }
  return moved;
}
