// Reads a rollout spec file, validates it, and resolves relative paths against the spec's folder
// so the workflow carries absolute paths that do not depend on where the CLI was run.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { rolloutSpecSchema, type RolloutSpec } from './spec';
import type { QualitySpec } from './quality-spec';
import { GantryError } from '../errors';
import { describeIssues } from './spec-errors';

export function parseSpec(text: string, source: string): RolloutSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new GantryError('INVALID_SPEC', `${source}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = rolloutSpecSchema.safeParse(raw);
  if (!result.success) throw new GantryError('INVALID_SPEC', `${source}: ${describeIssues(rolloutSpecSchema, result.error.issues)}`);
  return result.data;
}

export function loadSpec(file: string): RolloutSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new GantryError('INVALID_SPEC', `${file}: cannot read the spec file`);
  }
  return resolveSpecPaths(parseSpec(text, file), dirname(resolve(file)));
}

function resolveQualityPaths(quality: QualitySpec, abs: (p: string) => string): QualitySpec {
  const judge = quality.judge;
  return {
    ...quality,
    safetyTable: quality.safetyTable ? abs(quality.safetyTable) : undefined,
    evalSet: quality.evalSet ? { ...quality.evalSet, suite: abs(quality.evalSet.suite) } : undefined,
    judge: judge
      ? {
          ...judge,
          serve: judge.serve ? { ...judge.serve, model: abs(judge.serve.model) } : undefined,
          audit: { ...judge.audit, examples: judge.audit.examples ? abs(judge.audit.examples) : undefined },
        }
      : undefined,
  };
}

export function resolveSpecPaths(spec: RolloutSpec, baseDir: string): RolloutSpec {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const server = <T extends { chatTemplateFile?: string }>(options: T): T =>
    options.chatTemplateFile ? { ...options, chatTemplateFile: abs(options.chatTemplateFile) } : options;
  const quantize = spec.candidate.quantize;
  return {
    ...spec,
    stable: spec.stable && 'model' in spec.stable ? { ...spec.stable, model: abs(spec.stable.model), server: server(spec.stable.server) } : spec.stable,
    candidate: {
      ...spec.candidate,
      model: abs(spec.candidate.model),
      server: server(spec.candidate.server),
      quantize: quantize?.loss ? { ...quantize, loss: { ...quantize.loss, corpus: abs(quantize.loss.corpus) } } : quantize,
    },
    qa: spec.qa ? { ...spec.qa, suite: abs(spec.qa.suite) } : undefined,
    notifications: {
      ...spec.notifications,
      webhooks: spec.notifications.webhooks.map((w) => (w.urlFile ? { ...w, urlFile: abs(w.urlFile) } : w)),
    },
    quality: spec.quality ? resolveQualityPaths(spec.quality, abs) : undefined,
  };
}
