// gantry pairs export | gantry ratings import | gantry judge replay: experts in the loop, and any
// judgment replayable offline.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as toCsv } from 'csv-stringify/sync';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GantryError } from '../../errors';
import { GatewayAdminClient } from '../../gateway/admin-client';
import type { ShadowPair } from '../../gateway/pair-store';
import { gatewayUrl, stackConfigFromEnv } from '../../stack/stack-config';
import { recordRatingsUpdate } from '../../workflows/messages';
import { callJudge } from '../../adapters/judge-client';
import { combineOrders } from '../../analysis/quality/judge-protocol';
import type { ScoreRecord } from '../../activities/quality';
import { adminTokenOrFail } from '../admin-gateway';
import { output } from '../output';
import { withClient } from '../with-client';
import { readRollout } from '../rollout/rollout-handle';
import { blindItemId, unblindItemId } from './blinding';
import { disagreeingPairs, sampleAnswers, seedOf } from './sampling';

const defaultUser = (): string => process.env.GANTRY_USER ?? process.env.USER ?? 'unknown';

async function allPairs(gateway: GatewayAdminClient, route: string, rolloutId: string): Promise<ShadowPair[]> {
  const pairs: ShadowPair[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await gateway.pairRange(route, rolloutId, after, 1000);
    pairs.push(...page.pairs);
    if (page.pairs.length < 1000 || page.next === after) return pairs;
    after = page.next;
  }
}

export function registerQualityCommands(program: Command): void {
  program
    .command('pairs')
    .description("a rollout's shadow pairs")
    .command('export <rolloutId>')
    .description('a blinded, stratified sample of answers for experts to rate (CSV: item_id, prompt, answer, rating, comment)')
    .option('--sample <n>', 'answers in the sheet, half from each variant (default 100, or 50 with --disagreements)')
    .option('--disagreements', 'only pairs whose answers differ: the review pack a quality hold asks for')
    .option('--format <format>', 'csv', 'csv')
    .option('--seed <n>', 'sampling seed (default: from the rollout id)')
    .option('--out <file>', 'write here instead of standard output')
    .action(async (rolloutId: string, options: { sample?: string; disagreements?: boolean; format: string; seed?: string; out?: string }) => {
      if (options.format !== 'csv') throw new GantryError('INVALID_SPEC', `--format: only csv is supported, not "${options.format}"`);
      const sampleText = options.sample ?? (options.disagreements ? '50' : '100');
      const size = Number(sampleText);
      if (!Number.isInteger(size) || size <= 0) throw new GantryError('INVALID_SPEC', `--sample must be a positive whole number, got "${sampleText}"`);
      const key = adminTokenOrFail();
      const config = stackConfigFromEnv();
      await withClient(async (client) => {
        const { status } = await readRollout(client, rolloutId);
        const recorded = await allPairs(new GatewayAdminClient(gatewayUrl(config), key), status.route, rolloutId);
        const pairs = options.disagreements ? disagreeingPairs(recorded) : recorded.filter((p) => p.direction !== 'aa');
        if (pairs.length === 0)
          throw new GantryError('REFUSED', `rollout ${rolloutId} has no recorded pairs${options.disagreements ? ' whose answers differ' : ''} to export`);
        const sample = sampleAnswers(pairs, size, options.seed ? Number(options.seed) : seedOf(rolloutId));
        const rows = sample.map(({ pair, variant }) => ({
          item_id: blindItemId(key, pair.pairId, variant),
          prompt: pair.prompt,
          answer: pair[variant].answer ?? '',
          rating: '',
          comment: '',
        }));
        const csv = toCsv(rows, { header: true, columns: ['item_id', 'prompt', 'answer', 'rating', 'comment'] });
        if (options.out) {
          writeFileSync(options.out, csv);
          process.stderr.write(
            `wrote ${rows.length} answers to rate to ${options.out} (of ${pairs.length} ${options.disagreements ? 'disagreeing ' : ''}pairs; ratings 1 to 5 in the rating column)\n`,
          );
        } else process.stdout.write(csv);
      });
    });

  program
    .command('ratings')
    .description("experts' ratings of a rollout's answers")
    .command('import <rolloutId> <csvFile>')
    .description('record ratings from a sheet made by `gantry pairs export` (an Update, audited)')
    .option('--by <who>', 'who rated, for the audit log', defaultUser())
    .option('--json', 'print as JSON')
    .action(async (rolloutId: string, csvFile: string, options: { by: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      let rows: Record<string, string>[];
      try {
        rows = parseCsv<Record<string, string>>(readFileSync(csvFile, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
      } catch (error) {
        throw new GantryError('INVALID_SPEC', `${csvFile}: ${(error as Error).message.split('\n')[0]}`);
      }
      const key = adminTokenOrFail();
      const ratings: { itemId: string; variant: 'stable' | 'candidate'; rating: number }[] = [];
      rows.forEach((row, index) => {
        const line = index + 2;
        if (row.item_id === undefined || row.rating === undefined)
          throw new GantryError('INVALID_SPEC', `${csvFile}: the sheet needs item_id and rating columns`);
        if (row.rating === '') return; // not rated
        const rating = Number(row.rating);
        if (!Number.isFinite(rating) || rating < 1 || rating > 5)
          throw new GantryError('INVALID_SPEC', `${csvFile}:${line}: rating must be a number from 1 to 5, got "${row.rating}"`);
        const item = unblindItemId(key, row.item_id);
        if (!item) throw new GantryError('INVALID_SPEC', `${csvFile}:${line}: item ${row.item_id} was not exported by this stack (or its admin token changed)`);
        ratings.push({ itemId: row.item_id, variant: item.variant, rating });
      });
      if (ratings.length === 0) throw new GantryError('INVALID_SPEC', `${csvFile}: no rated rows`);
      await withClient(async (client) => {
        const { handle, running } = await readRollout(client, rolloutId);
        if (!running) throw new GantryError('REFUSED', `rollout ${rolloutId} has ended: ratings can no longer change it`);
        try {
          const record = await handle.executeUpdate(recordRatingsUpdate, { args: [{ by: options.by, reason: `ratings from ${csvFile}`, ratings }] });
          out.result({ rolloutId, ...record }, () => `accepted: ${record.message}`);
        } catch (error) {
          if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) throw new GantryError('REFUSED', error.cause.message);
          throw error;
        }
      });
    });

  program
    .command('judge')
    .description("the rollout's judge")
    .command('replay <rolloutId>')
    .description('judge again, offline, every pair the rollout judged: same template, seed and both orders; prints the agreement')
    .requiredOption('--judge-url <url>', 'the judge to replay with: an OpenAI-compatible base URL ending in /v1')
    .option('--judge-model <name>', 'model name at that endpoint', 'judge')
    .option('--data-dir <dir>', "the orchestrator's data folder (default: the stack's)")
    .option('--constrain <how>', 'grammar | none', 'grammar')
    .option('--json', 'print as JSON')
    .action(async (rolloutId: string, options: { judgeUrl: string; judgeModel: string; dataDir?: string; constrain: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      const dir = join(options.dataDir ?? join(stackConfigFromEnv().stateDir, 'orchestrator'), 'quality', rolloutId);
      let files: string[];
      try {
        files = readdirSync(dir).filter((f) => f.startsWith('batch-'));
      } catch {
        throw new GantryError('ROLLOUT_NOT_FOUND', `no judgments of rollout ${rolloutId} under ${dir}`);
      }
      const parse = (line: string): ScoreRecord[] => {
        try {
          return [JSON.parse(line) as ScoreRecord];
        } catch {
          return []; // a line cut off by a crash
        }
      };
      const judged = files
        .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
        .flatMap(parse)
        .filter((r): r is ScoreRecord & { judge: NonNullable<ScoreRecord['judge']> } => r.judge !== null);
      if (judged.length === 0) throw new GantryError('REFUSED', `rollout ${rolloutId} judged no pairs`);
      const constrain = options.constrain === 'none' ? 'none' : 'grammar';
      let same = 0;
      const differences: { pairId: string; recorded: string; replayed: string }[] = [];
      for (const record of judged) {
        const endpoint = { url: options.judgeUrl, model: options.judgeModel, constrain, seed: record.judge.seed, timeoutMs: 60_000 } as const;
        const first = await callJudge(endpoint, record.prompt, record.stableAnswer ?? '', record.candidateAnswer ?? '', 'stable-first');
        const second = await callJudge(endpoint, record.prompt, record.candidateAnswer ?? '', record.stableAnswer ?? '', 'candidate-first');
        const replayed = combineOrders(first, second);
        const word = (o: typeof replayed): string => (o.noData ? 'no data' : o.outcome);
        if (word(replayed) === word(record.judge.outcome)) same += 1;
        else differences.push({ pairId: record.pairId, recorded: word(record.judge.outcome), replayed: word(replayed) });
      }
      const identities = [...new Set(judged.map((r) => r.judge.identity))];
      const result = { rolloutId, judgments: judged.length, agreeing: same, agreement: same / judged.length, recordedJudge: identities, differences };
      out.result(result, () =>
        [
          `replayed ${judged.length} judgments of ${identities.join(', ')} against ${options.judgeUrl}: ${same} agree (${((same / judged.length) * 100).toFixed(1)}%)`,
          ...differences.slice(0, 20).map((d) => `  ${d.pairId}: recorded ${d.recorded}, replayed ${d.replayed}`),
        ].join('\n'),
      );
    });
}
