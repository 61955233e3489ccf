import { connect } from 'node:net';
import { DevstackError } from './devstack-error';

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000);
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** The one line printed when a port the devstack needs is held by a process it did not start. */
export function portConflictMessage(port: number, component: string, variable: string): string {
  return `port ${port} (${component}) is taken by another process: stop it, or set ${variable} to a free port`;
}

/**
 * Refuses to start a component on a port another process holds, naming the port and the
 * variable that moves it. Call it only when the devstack's own process is known not to run.
 */
export async function assertPortFree(port: number, component: string, variable: string): Promise<void> {
  if (await isPortOpen(port)) throw new DevstackError(portConflictMessage(port, component, variable));
}
