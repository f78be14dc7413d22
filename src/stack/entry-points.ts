// How the stack's Node processes are started: the built bundles in dist/ when this code runs from
// them (an installed package, `npm run build`), the TypeScript sources through tsx in a checkout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../config/package-root';

export type NodeEntry = 'gateway' | 'orchestrator' | 'host-agent';

const SOURCES: Record<NodeEntry, string> = {
  gateway: 'src/gateway/main.ts',
  orchestrator: 'src/workers/orchestrator.ts',
  'host-agent': 'src/workers/host-agent.ts',
};
const BUILT: Record<NodeEntry, string> = { gateway: 'dist/gateway.js', orchestrator: 'dist/orchestrator.js', 'host-agent': 'dist/host-agent.js' };

/** True when this module was loaded from dist/: the processes it starts run built code too. */
export const RUNNING_BUILT = fileURLToPath(import.meta.url).startsWith(join(PACKAGE_ROOT, 'dist'));

/** The arguments for `node` that run one of the stack's processes. */
export function nodeEntry(entry: NodeEntry): string[] {
  const built = join(PACKAGE_ROOT, BUILT[entry]);
  if (RUNNING_BUILT && existsSync(built)) return [built];
  return ['--import', join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs'), join(PACKAGE_ROOT, SOURCES[entry])];
}
