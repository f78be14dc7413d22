// The gateway as its own process (src/gateway/main.ts), for what only a separate process can show:
// being killed, exiting on bad configuration.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { REPO_ROOT } from '../../src/config/toolchain';
import { quietPort } from './quiet-ports';
import { GatewayAdminClient } from '../../src/gateway/admin-client';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  admin: GatewayAdminClient;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnGateway(env: Record<string, string>, port: number): GatewayProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPO_ROOT, 'src/gateway/main.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, GANTRY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, GANTRY_GATEWAY_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  return { child, url, admin: new GatewayAdminClient(url, TEST_ADMIN_TOKEN), output: () => output, exited };
}

/** Starts the gateway process and waits for its readiness endpoint. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = spawnGateway(env, await quietPort());
  for (let i = 0; i < 150; i++) {
    if (gateway.child.exitCode !== null) throw new Error(`gateway exited: ${gateway.output()}`);
    try {
      const response = await request(`${gateway.url}/readyz`);
      await response.body.dump();
      if (response.statusCode === 200) return gateway;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  gateway.child.kill('SIGKILL');
  throw new Error(`gateway did not become ready: ${gateway.output()}`);
}
