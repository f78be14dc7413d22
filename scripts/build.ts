// npm run build: the CLI and the stack's processes bundled into dist/ (our code in one file each,
// dependencies left to node_modules), and the workflow code bundled once the way Temporal's worker
// would at start-up, so a built worker starts without bundling and `gantry` starts without tsx.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { PACKAGE_ROOT } from '../src/config/package-root';

const dist = join(PACKAGE_ROOT, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const started = performance.now();

await build({
  entryPoints: {
    cli: join(PACKAGE_ROOT, 'src/cli/main.ts'),
    gateway: join(PACKAGE_ROOT, 'src/gateway/main.ts'),
    orchestrator: join(PACKAGE_ROOT, 'src/workers/orchestrator.ts'),
    'host-agent': join(PACKAGE_ROOT, 'src/workers/host-agent.ts'),
  },
  outdir: dist,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  // The workers' entry modules run main() only when they are the script node was given.
  banner: { js: "import { createRequire as __gantryRequire } from 'node:module'; const require = __gantryRequire(import.meta.url);" },
});

const { code } = await bundleWorkflowCode({ workflowsPath: join(PACKAGE_ROOT, 'src/workflows/index.ts'), logger: new DefaultLogger('WARN') });
writeFileSync(join(dist, 'workflow-bundle.js'), code);
process.stdout.write(`built dist/ in ${Math.round(performance.now() - started)}ms\n`);
