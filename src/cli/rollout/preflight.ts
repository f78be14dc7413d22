// Checks a release engineer can be told about before anything starts: the files the spec names.
// Only for the local host: a remote host's paths are checked by its agent.
import { readFileSync } from 'node:fs';
import type { RolloutSpec } from '../../config/spec';
import { GantryError } from '../../errors';
import { GgufError, readGgufHeader } from '../../adapters/gguf-file';
import { parseEvalSuite } from '../../analysis/eval-suite';
import { qualityPreflight } from './quality-preflight';

async function checkModel(path: string, what: string): Promise<void> {
  try {
    await readGgufHeader(path);
  } catch (error) {
    if (error instanceof GgufError) throw new GantryError(error.kind === 'missing' ? 'MODEL_NOT_FOUND' : 'INVALID_MODEL', `${what}: ${error.message}`);
    throw error;
  }
}

export async function preflight(spec: RolloutSpec): Promise<void> {
  if (spec.candidate.host === 'local') await checkModel(spec.candidate.model, 'candidate.model');
  if (spec.stable && 'model' in spec.stable && spec.stable.host === 'local') await checkModel(spec.stable.model, 'stable.model');
  if (spec.qa) {
    let text: string;
    try {
      text = readFileSync(spec.qa.suite, 'utf8');
    } catch {
      throw new GantryError('EVAL_SUITE_INVALID', `qa.suite: eval suite not found: ${spec.qa.suite}`);
    }
    try {
      parseEvalSuite(text, spec.qa.suite);
    } catch (error) {
      throw new GantryError('EVAL_SUITE_INVALID', `qa.suite: ${(error as Error).message}`);
    }
  }
  if (spec.quality) {
    const serve = spec.quality.judge?.serve;
    if (serve && serve.host === 'local') await checkModel(serve.model, 'quality.judge.serve.model');
    await qualityPreflight(spec.quality);
  }
}
