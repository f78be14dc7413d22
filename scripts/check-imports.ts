// Part of `npm run lint`: the source's import graph has no circle, and no import runs up the
// layers (a lower folder never imports a higher one). Type imports count: they tie files as much.
//   floors, lowest first: root files · config, temporal · analysis · gateway · adapters · hosts ·
//   activities · workflows · stack, report · cli, workers
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', 'src');
const FLOORS: Record<string, number> = {
  '.': 1,
  config: 2,
  temporal: 2,
  analysis: 3,
  gateway: 4,
  adapters: 5,
  hosts: 6,
  activities: 7,
  workflows: 8,
  stack: 9,
  report: 9,
  cli: 10,
  workers: 10,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const floorOf = (file: string): number => {
  const top = relative(SRC, file).split('/')[0] ?? '.';
  return FLOORS[top.endsWith('.ts') ? '.' : top] ?? 0;
};

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g;
const graph = new Map<string, string[]>();
for (const file of files(SRC)) {
  const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => resolve(dirname(file), `${(m[1] ?? '').replace(/\.js$/, '')}.ts`));
  graph.set(
    file,
    targets.filter((t) => graph.has(t) || statSync(t, { throwIfNoEntry: false })),
  );
}

const problems: string[] = [];
for (const [file, targets] of graph)
  for (const target of targets)
    if (floorOf(target) > floorOf(file)) problems.push(`runs up the layers: ${relative(SRC, file)} imports ${relative(SRC, target)}`);

// Circles: depth-first search, each reported once by its first file.
const state = new Map<string, 'open' | 'done'>();
const stack: string[] = [];
function visit(file: string): void {
  state.set(file, 'open');
  stack.push(file);
  for (const target of graph.get(file) ?? []) {
    if (state.get(target) === 'open') problems.push(`circle: ${[...stack.slice(stack.indexOf(target)), target].map((f) => relative(SRC, f)).join(' → ')}`);
    else if (!state.has(target)) visit(target);
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`imports: ${graph.size} files, no circle, none runs up the layers\n`);
