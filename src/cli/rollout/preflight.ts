// Checks a release engineer can be told about before anything starts: the files the spec names,
// a quant type the local llama-quantize does not know, and custom queries Prometheus refuses.
// Only for the local host: a remote host's paths are checked by its agent.
import { readFileSync } from 'node:fs';
import type { RolloutSpec } from '../../config/spec';
import { GantryError } from '../../errors';
import { GgufError, readGgufHeader } from '../../adapters/gguf-file';
import { parseEvalSuite } from '../../analysis/eval-suite';
import { qualityPreflight } from './quality-preflight';
import { checkMetricQueries } from './metric-preflight';
import { CheckpointError, checkCheckpointFolder, isFolder } from '../../adapters/hf-checkpoint';
import { knownQuantTypes } from '../../adapters/llama-quantize';
import { toolPath } from '../../config/toolchain';
import { closestKey } from '../../config/spec-errors';

async function checkModel(path: string, what: string): Promise<void> {
  try {
    await readGgufHeader(path);
  } catch (error) {
    if (error instanceof GgufError) throw new GantryError(error.kind === 'missing' ? 'MODEL_NOT_FOUND' : 'INVALID_MODEL', `${what}: ${error.message}`);
    throw error;
  }
}

/** A GGUF file, or a Hugging Face checkpoint folder that is converted and quantized. */
async function checkCandidateModel(spec: RolloutSpec): Promise<void> {
  const { model, quantize } = spec.candidate;
  if (!isFolder(model)) return checkModel(model, 'candidate.model');
  try {
    checkCheckpointFolder(model);
  } catch (error) {
    if (error instanceof CheckpointError) throw new GantryError('INVALID_MODEL', `candidate.model: ${error.message}`);
    throw error;
  }
  if (!quantize)
    throw new GantryError('INVALID_SPEC', `candidate.model: ${model} is a checkpoint folder: set candidate.quantize.type to convert and quantize it`);
}

/** The type must be one this host's llama-quantize knows; without the tool here, its host agent says. */
async function checkQuantType(type: string): Promise<void> {
  let binary: string;
  try {
    binary = toolPath('llamaQuantize');
  } catch {
    return;
  }
  const known = await knownQuantTypes(binary);
  if (known.length === 0 || known.includes(type.toUpperCase())) return;
  const near = closestKey(type.toUpperCase(), known);
  throw new GantryError(
    'INVALID_SPEC',
    `candidate.quantize.type: llama-quantize does not know "${type}"${near ? ` (did you mean ${near}?)` : ''}; it knows ${known.join(', ')}`,
  );
}

function checkCorpus(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new GantryError('INVALID_SPEC', `candidate.quantize.loss.corpus: file not found: ${path}`);
  }
  if (text.trim().length === 0) throw new GantryError('INVALID_SPEC', `candidate.quantize.loss.corpus: ${path} is empty`);
}

export async function preflight(spec: RolloutSpec): Promise<void> {
  if (spec.candidate.host === 'local') {
    await checkCandidateModel(spec);
    if (spec.candidate.quantize) await checkQuantType(spec.candidate.quantize.type);
    if (spec.candidate.quantize?.loss) checkCorpus(spec.candidate.quantize.loss.corpus);
  }
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
  await checkMetricQueries(spec);
}
