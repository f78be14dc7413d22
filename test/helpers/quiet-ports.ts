// Ports for the servers tests start, chosen below the kernel's ephemeral range.
//
// A port the kernel hands out (a bind to port 0) goes back into that range when it is released,
// and is handed out again to whoever asks next: the Temporal dev server takes its internal ports
// that way as it starts, and every outgoing connection takes one too. A stack stopped and started
// again on its old ports found its Prometheus port taken by the Temporal server started just
// before it. Below the range the kernel hands out nothing by itself, so a port stays ours between
// choosing it and starting a server on it, and across a restart.
import { readFileSync } from 'node:fs';
import { freePorts } from '../../src/hosts/free-port';

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

/** `count` distinct ports free on 127.0.0.1, below the ephemeral range: each is held open until all are chosen. */
export function quietPorts(count: number): Promise<number[]> {
  return freePorts(count, '127.0.0.1', { from: LOWEST, to: ephemeralRangeStart() });
}

/** One free port below the ephemeral range. */
export async function quietPort(): Promise<number> {
  const [port] = await quietPorts(1);
  if (port === undefined) throw new Error('no free port');
  return port;
}
