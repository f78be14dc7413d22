// The rollout spec as a JSON Schema, generated from the zod schema that validates it (one source of
// truth), for editors: with `# yaml-language-server: $schema=…` at the top of a spec, an editor
// completes fields and flags a typo as you write. It describes what a spec file may hold (the
// input side: durations as "30s" or milliseconds, defaults optional).
import { z } from 'zod';
import { rolloutSpecSchema } from './spec';

export const SPEC_SCHEMA_ID = 'https://gantry.dev/schemas/rollout-spec.schema.json';

export function rolloutSpecJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(rolloutSpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const properties = { ...(generated.properties as Record<string, unknown>) };
  // Set by the loader from `quality: off`; not a field to write.
  delete properties.qualityOff;
  return {
    ...generated,
    $id: SPEC_SCHEMA_ID,
    title: 'Gantry rollout spec',
    description: 'A rollout of a candidate model on one gateway route: QA gate, quantize, deploy, shadow, canary steps, evaluation, promote or roll back.',
    properties,
  };
}

/** The committed file's text: what `npm run build:schema` writes and a test compares. */
export const rolloutSpecJsonSchemaText = (): string => `${JSON.stringify(rolloutSpecJsonSchema(), null, 2)}\n`;
