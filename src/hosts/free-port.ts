import { createServer, type Server } from 'node:net';

/** A listening server on host:port (0: the OS picks), or undefined where the port is taken. */
function listenOn(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
const portOf = (server: Server): number => {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
};

/** A port free on `host` right now (the OS picks it); callers retry if another process takes it first. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}

/** Ports from `from` up to, not including, `to`. */
export interface PortRange {
  from: number;
  to: number;
}

/**
 * `count` distinct ports, free on `host` right now: all are held open until every one is chosen.
 * The OS picks them (from its ephemeral range) unless `range` is given; then they are tried at random in it.
 */
export async function freePorts(count: number, host = '127.0.0.1', range?: PortRange): Promise<number[]> {
  const held: Server[] = [];
  try {
    for (let tries = 0; held.length < count; tries++) {
      if (tries > count * 200) throw new Error(`no ${count} free ports${range ? ` between ${range.from} and ${range.to}` : ''} on ${host}`);
      const candidate = range ? range.from + Math.floor(Math.random() * (range.to - range.from)) : 0;
      if (held.some((server) => portOf(server) === candidate)) continue;
      const server = await listenOn(candidate, host);
      if (server) held.push(server);
    }
    return held.map(portOf);
  } finally {
    await Promise.all(held.map(close));
  }
}

/** Whether something already listens on host:port. */
export async function isPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = await listenOn(port, host);
  if (!server) return true;
  await close(server);
  return false;
}
