import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The first port of the kernel's ephemeral range (outgoing connections take theirs from it). */
function ephemeralRangeStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 11_024 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const RANGE_END = ephemeralRangeStart();
const RANGE_START = RANGE_END - 10_000;
const handedOut = new Set<number>();

const bindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });

/**
 * A TCP port that was free a moment ago, for a server a test starts itself. It lies below the
 * kernel's ephemeral range: a port the kernel hands out (`listen(0)`) can be taken by any
 * outgoing connection before the server binds it, which failed whole e2e suites with
 * EADDRINUSE. A port is never handed out twice by one process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = RANGE_START + Math.floor(Math.random() * (RANGE_END - RANGE_START));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${RANGE_START} and ${RANGE_END}`);
}
