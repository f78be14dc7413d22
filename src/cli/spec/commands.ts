// gantry spec schema | gantry spec check: the rollout spec for editors and pipelines, without a stack.
import type { Command } from 'commander';
import { loadSpec } from '../../config/load-spec';
import { rolloutSpecJsonSchemaText } from '../../config/spec-json-schema';
import { output } from '../output';

export function registerSpecCommands(program: Command): void {
  const spec = program.command('spec').description('the rollout spec: its JSON Schema, and checking a file against it');
  spec
    .command('schema')
    .description('print the JSON Schema of rollout specs (for editors: # yaml-language-server: $schema=…)')
    .action(() => {
      process.stdout.write(rolloutSpecJsonSchemaText());
    });
  spec
    .command('check <file>')
    .description('check a spec file (fields, types, limits) without starting or reaching anything; exit 2 naming the field when it is invalid')
    .option('--json', 'print as JSON')
    .action((file: string, options: { json?: boolean }) => {
      const parsed = loadSpec(file);
      const metrics = parsed.quality?.metrics.map((m) => m.name) ?? [];
      output(Boolean(options.json)).result(
        { valid: true, name: parsed.name, route: parsed.route, quality: parsed.qualityOff ? 'off' : metrics },
        () => `${file}: valid (rollout ${parsed.name} on route ${parsed.route}; quality ${parsed.qualityOff ? 'off' : metrics.join(', ')})`,
      );
    });
}
