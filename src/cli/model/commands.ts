// gantry model list | show: the artifacts a host made, from the records kept beside them — where
// each came from, what quantizing cost, and what every rollout that shipped it found.
import { join } from 'node:path';
import type { Command } from 'commander';
import { GantryError } from '../../errors';
import { hostDataDir } from '../../stack/dev-stack';
import { stackConfigFromEnv } from '../../stack/stack-config';
import { listRecords, type ArtifactRecord, type StoredRecord } from '../../hosts/artifact-records';
import { describeQuantLoss } from '../../analysis/quant-loss-gate';
import { output } from '../output';

interface ModelOptions {
  artifacts?: string;
  json?: boolean;
}

const artifactsDirOf = (options: ModelOptions): string => options.artifacts ?? join(hostDataDir(stackConfigFromEnv()), 'artifacts');

const lastOutcome = (record: ArtifactRecord): string => {
  const last = [...record.rollouts].reverse().find((use) => use.outcome);
  return last?.outcome ? `${last.outcome.result} (${last.rolloutId})` : record.rollouts.length ? `in use by ${record.rollouts.at(-1)?.rolloutId ?? '?'}` : '-';
};

function listLine({ record }: StoredRecord): string {
  const kld = record.quantLoss?.measured ? `KLD ${record.quantLoss.kldMean.toFixed(4)}` : 'KLD -';
  const size = `${(record.artifact.sizeBytes / 1e6).toFixed(1)} MB`;
  return [
    record.artifact.sha256.slice(0, 12),
    (record.artifact.quantType ?? 'as given').padEnd(8),
    size.padStart(9),
    kld.padEnd(12),
    lastOutcome(record),
    record.artifact.path,
  ].join('  ');
}

function showLines({ file, record }: StoredRecord): string[] {
  const lines = [
    `artifact  ${record.artifact.path}`,
    `          ${record.artifact.quantType ?? 'given as it is'}, ${(record.artifact.sizeBytes / 1e6).toFixed(1)} MB, sha256 ${record.artifact.sha256}`,
    `source    ${record.source.path} (${record.source.kind}, sha256 ${record.source.sha256})`,
  ];
  if (record.source.convertedTo) lines.push(`          converted to ${record.source.convertedTo}`);
  lines.push(`tools     llama.cpp ${record.tools.llamaCpp ?? 'not used'}${record.tools.convert ? `; ${record.tools.convert}` : ''}`);
  lines.push(`made      ${record.createdAt} by ${record.createdBy}`);
  if (record.quantLoss)
    lines.push(`loss      ${describeQuantLoss(record.quantLoss)} (corpus ${record.quantLoss.corpus}, ${record.quantLoss.contextSize} tokens a chunk)`);
  for (const use of record.rollouts) {
    lines.push(`rollout   ${use.rolloutId} (${use.at})${use.outcome ? `: ${use.outcome.result} — ${use.outcome.reason}` : ''}`);
    if (use.quantLossVerdict) lines.push(`          loss gate ${use.quantLossVerdict.passed ? 'passed' : 'FAILED'}`);
    if (use.qa) lines.push(`          QA ${use.qa.decision}: ${use.qa.summary}`);
  }
  lines.push(`record    ${file}`);
  return lines;
}

/** An artifact by its path, its record's path, or a prefix of its sha256 (at least 6 characters). */
export function findRecord(records: StoredRecord[], ref: string): StoredRecord {
  const matches = records.filter(
    ({ file, record }) => record.artifact.path === ref || file === ref || (ref.length >= 6 && record.artifact.sha256.startsWith(ref.toLowerCase())),
  );
  if (matches.length === 0) throw new GantryError('MODEL_NOT_FOUND', `no artifact record matches "${ref}" (see gantry model list)`);
  if (matches.length > 1 && new Set(matches.map((m) => m.record.artifact.path)).size > 1)
    throw new GantryError('INVALID_SPEC', `"${ref}" matches ${matches.length} artifacts: give more of the sha256`);
  return matches[0] as StoredRecord;
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('artifacts the local host made, from their records (source, quant type, loss, QA, outcomes)');
  model
    .command('list')
    .description('every artifact with a record, newest first')
    .option('--artifacts <dir>', "a host's artifacts folder (default: the dev stack's local host)")
    .option('--json', 'machine-readable output')
    .action((options: ModelOptions) => {
      const records = listRecords(artifactsDirOf(options));
      const out = output(options.json === true);
      out.result(
        records.map((r) => ({ ...r.record, recordFile: r.file })),
        () =>
          records.length ? ['SHA256        TYPE      SIZE       LOSS          LAST OUTCOME  PATH', ...records.map(listLine)].join('\n') : 'no artifacts yet',
      );
    });
  model
    .command('show <artifact>')
    .description('one artifact: by path, record path or sha256 prefix')
    .option('--artifacts <dir>', "a host's artifacts folder (default: the dev stack's local host)")
    .option('--json', 'machine-readable output')
    .action((ref: string, options: ModelOptions) => {
      const found = findRecord(listRecords(artifactsDirOf(options)), ref);
      output(options.json === true).result({ ...found.record, recordFile: found.file }, () => showLines(found).join('\n'));
    });
}
