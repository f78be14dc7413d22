// A throwaway PostgreSQL cluster (Debian's server binaries, found by scripts/setup) for the
// PostgreSQL pair store's tests: initdb into a temporary folder, pg_ctl start on a free port,
// stopped and removed afterwards. PostgreSQL refuses to run as root, so as root it runs as the
// `postgres` user the Debian package creates.
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolPath } from '../../src/config/toolchain';
import { quietPort } from './quiet-ports';

const run = promisify(execFile);

export interface TestPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = toolPath('postgresBin');
  const dir = mkdtempSync(join(tmpdir(), 'gantry-pg-'));
  const owner = await postgresUser();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const asOwner = (command: string, args: string[]): Promise<unknown> =>
    owner ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args);
  const data = join(dir, 'data');
  await asOwner('initdb', ['-D', data, '-U', 'gantry', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const port = await quietPort();
  await asOwner('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'postgres.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`]);
  return {
    url: `postgres://gantry:unused@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await asOwner('pg_ctl', ['stop', '-m', 'fast', '-w', '-D', data]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
