// Ports for the servers tests start, chosen below the kernel's ephemeral range.
//
// A port the kernel hands out (a bind to port 0) goes back into that range when it is released,
// and is handed out again to whoever asks next: the Temporal dev server takes its internal ports
// that way as it starts, and every outgoing connection takes one too. A stack stopped and started
// again on its old ports found its Prometheus port taken by the Temporal server started just
// before it. Below the range the kernel hands out nothing by itself, so a port stays ours between
// choosing it and starting a server on it, and across a restart.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

const LOWEST = 10_000;

/** The first port of the kernel's ephemeral range (32768 where it cannot be read). */
export function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const listen = (server: Server, port: number, host: string): Promise<boolean> =>
  new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });

/**
 * `count` distinct ports free on `host`, below the ephemeral range (or in `[from, to)`): each is
 * held open until all are chosen.
 */
export async function quietPorts(count: number, host = '127.0.0.1', from = LOWEST, to = ephemeralRangeStart()): Promise<number[]> {
  const held: Server[] = [];
  const chosen: number[] = [];
  try {
    for (let tries = 0; chosen.length < count; tries++) {
      if (tries > count * 200) throw new Error(`no ${count} free ports between ${from} and ${to} on ${host}`);
      const port = from + Math.floor(Math.random() * (to - from));
      if (chosen.includes(port)) continue;
      const server = createServer();
      if (await listen(server, port, host)) {
        held.push(server);
        chosen.push(port);
      }
    }
    return chosen;
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** One free port below the ephemeral range. */
export async function quietPort(host = '127.0.0.1'): Promise<number> {
  const [port] = await quietPorts(1, host);
  if (port === undefined) throw new Error('no free port');
  return port;
}
