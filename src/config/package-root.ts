// Where Gantry's own files are (configs, the built workflow bundle, the checkout's .gantry folder):
// the nearest folder above this module with Gantry's package.json. The same from the TypeScript
// sources and from the built bundles in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'gantry') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`gantry: no package.json of gantry above ${from}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** True when this is an installed package (under node_modules) rather than a checkout. */
export const INSTALLED = resolve(PACKAGE_ROOT).split(/[\\/]/).includes('node_modules');

/** Where the embedded stack keeps its state by default: the checkout's .gantry, or the working folder's when installed. */
export const DEFAULT_STATE_DIR = INSTALLED ? join(process.cwd(), '.gantry') : join(PACKAGE_ROOT, '.gantry');
