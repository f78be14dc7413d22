// The rollout spec's JSON Schema, as an editor uses it: the committed file is what the zod schema
// generates today, every shipped spec validates against it with a JSON Schema validator from npm
// (what the YAML language server does), and a typo'd field is rejected, named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { rolloutSpecJsonSchemaText } from '../../src/config/spec-json-schema';

const committed = readFileSync('schemas/rollout-spec.schema.json', 'utf8');

describe('the rollout spec JSON Schema', () => {
  it('is committed as the zod schema generates it (npm run build:schema when this fails)', () => {
    assert.equal(committed, rolloutSpecJsonSchemaText());
  });

  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(committed) as object);

  it('accepts every shipped spec, and each names the schema for editors', () => {
    const files = readdirSync('configs/rollouts').filter((f) => f.endsWith('.yaml'));
    for (const file of files) {
      const text = readFileSync(join('configs/rollouts', file), 'utf8');
      assert.match(text.split('\n')[0] ?? '', /^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/rollout-spec\.schema\.json$/, file);
      const ok = validate(parseYaml(text));
      assert.ok(ok, `${file}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it("rejects a typo'd field, naming it, as an editor would underline it", () => {
    const spec = parseYaml(readFileSync('configs/rollouts/quickstart.yaml', 'utf8')) as Record<string, unknown>;
    const canary = spec.canary;
    delete spec.canary;
    assert.equal(validate({ ...spec, canery: canary }), false);
    const errors = validate.errors ?? [];
    assert.ok(
      errors.some((e) => e.keyword === 'additionalProperties' && (e.params as { additionalProperty?: string }).additionalProperty === 'canery'),
      JSON.stringify(errors),
    );
    assert.equal(validate({ ...spec, canary, quality: { ...(spec.quality as object), aaRate: 2 } }), false, 'a share above 1');
  });
});
