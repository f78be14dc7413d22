// Finding the stack's processes when their recorded pid is stale — one restarted by hand, say — by
// what they are: the listener of a port, or a command line and environment. Linux /proc only;
// elsewhere nothing is found and only recorded pids are used.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const pids = (): number[] => {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
};

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

export function commandLine(pid: number): string[] {
  return readOr(`/proc/${pid}/cmdline`, '').split('\0').filter(Boolean);
}

export function environmentOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readOr(`/proc/${pid}/environ`, '').split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

/** Socket inodes listening on a TCP port (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOr(table, '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is field 1 ("0100007F:1F90"), state field 3 (0A = LISTEN), inode field 9
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The pid of the process listening on `port`, if it can be seen. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const pid of pids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return pid;
    }
  }
  return undefined;
}

/** Pids whose command line (and environment) satisfy `match`, this process excluded. */
export function pidsMatching(match: (args: string[], env: () => Record<string, string>) => boolean): number[] {
  return pids().filter((pid) => pid !== process.pid && match(commandLine(pid), () => environmentOf(pid)));
}
