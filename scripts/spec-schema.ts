// npm run build:schema: writes schemas/rollout-spec.schema.json from the zod spec schema. A unit test
// fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/config/package-root';
import { rolloutSpecJsonSchemaText } from '../src/config/spec-json-schema';

const file = join(PACKAGE_ROOT, 'schemas', 'rollout-spec.schema.json');
writeFileSync(file, rolloutSpecJsonSchemaText());
process.stdout.write(`wrote ${file}\n`);
