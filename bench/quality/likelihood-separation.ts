// (e) The likelihood judge on real answers: the quickstart's stable (Gemma 3 270M Q4_K_M) and its
// good candidate (Q8_0 of the F16 checkpoint) against candidates that never err and answer worse —
// Q2_K, a chat template that loses the user's message, a conversion that lost the BOS flag — each
// asked the quickstart's prompts with the quickstart's decoding. Per candidate: the share of pairs
// the stable finds much less likely (the likelihood metric's figure), the mean difference, and the
// share equivalent by chrF (the old fixed-80% rule's figure); across candidates, the AUC of the
// per-pair difference, good against each bad one. Real llama-servers, started and stopped here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { request } from 'undici';
import { REPO_ROOT, toolPath } from '../../src/config/toolchain';
import { completeChat } from '../../src/adapters/chat-client';
import { answerLogProb, renderPrompt, type ReferenceServer } from '../../src/adapters/likelihood-client';
import { likelihoodOutcome } from '../../src/analysis/quality/likelihood';
import { scorePair } from '../../src/analysis/quality/pair-scores';
import { compileRefusalPatterns, DEFAULT_REFUSAL_PATTERNS } from '../../src/analysis/quality/refusals';

interface Variant {
  name: string;
  model: string;
  extraArgs: string[];
  template: string;
  expect: 'good' | 'bad';
}

async function healthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(`${url}/health`).catch(() => undefined);
    if (response) await response.body.dump();
    if (response?.statusCode === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} not healthy`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function prompts(): string[] {
  const files = ['quickstart-mix.jsonl', 'chat.jsonl', 'support-long-context.jsonl'].map((f) => join(REPO_ROOT, 'configs', 'prompts', f));
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { prompt: string }).prompt),
  );
}

/** AUC: the chance that a random good pair's difference is above a random bad pair's (ties count half). */
function auc(good: number[], bad: number[]): number {
  let wins = 0;
  for (const g of good) for (const b of bad) wins += g > b ? 1 : g === b ? 0.5 : 0;
  return wins / (good.length * bad.length);
}

export async function measureLikelihoodSeparation(log: (line: string) => void, basePort = 18200): Promise<Record<string, unknown>> {
  const models = join(REPO_ROOT, '.gantry', 'models');
  const template = join(REPO_ROOT, 'configs', 'templates', 'question-answer.jinja');
  const lost = join(REPO_ROOT, 'configs', 'templates', 'content-parts.jinja');
  const quantized = join(REPO_ROOT, '.gantry', 'bench-quality');
  await execa('mkdir', ['-p', quantized]);
  for (const type of ['Q8_0', 'Q2_K']) {
    const out = join(quantized, `gemma-3-270m-${type}.gguf`);
    await execa(toolPath('llamaQuantize'), [join(models, 'gemma-3-270m-f16.gguf'), out, type], { reject: false });
  }
  const variants: Variant[] = [
    { name: 'stable (A/A)', model: join(models, 'gemma-3-270m-q4_k_m.gguf'), extraArgs: [], template, expect: 'good' },
    { name: 'Q8_0 (the quickstart)', model: join(quantized, 'gemma-3-270m-Q8_0.gguf'), extraArgs: [], template, expect: 'good' },
    { name: 'Q2_K', model: join(quantized, 'gemma-3-270m-Q2_K.gguf'), extraArgs: [], template, expect: 'bad' },
    { name: 'Q8_0, template loses the message', model: join(quantized, 'gemma-3-270m-Q8_0.gguf'), extraArgs: [], template: lost, expect: 'bad' },
    {
      name: 'Q8_0, BOS flag lost',
      model: join(quantized, 'gemma-3-270m-Q8_0.gguf'),
      extraArgs: ['--override-kv', 'tokenizer.ggml.add_bos_token=bool:false'],
      template,
      expect: 'bad',
    },
  ];
  const servers: ResultPromise[] = [];
  const start = async (model: string, port: number, chatTemplate: string, extra: string[]): Promise<string> => {
    const args = [
      '-m',
      model,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '-c',
      '2048',
      '-t',
      '1',
      '--jinja',
      '--chat-template-file',
      chatTemplate,
      ...extra,
    ];
    servers.push(execa(toolPath('llamaServer'), args, { reject: false, stdio: 'ignore' }));
    const url = `http://127.0.0.1:${port}`;
    await healthy(url, 60_000);
    return url;
  };
  try {
    const stableUrl = await start(join(models, 'gemma-3-270m-q4_k_m.gguf'), basePort, template, []);
    const reference: ReferenceServer = { baseUrl: stableUrl, timeoutMs: 60_000 };
    const options = { refusals: compileRefusalPatterns(DEFAULT_REFUSAL_PATTERNS), safety: null, equivalenceChrF: 0.7 };
    const asked = prompts();
    const ask = (url: string, prompt: string): Promise<string> => completeChat({ url: `${url}/v1` }, 'chat', prompt, { maxTokens: 16, timeoutMs: 60_000 });
    const stableAnswers: string[] = [];
    for (const prompt of asked) stableAnswers.push(await ask(stableUrl, prompt));
    const rows: Record<string, unknown>[] = [];
    const deltas = new Map<string, { cond: number[]; pmi: number[]; judged: number[] }>();
    const empty = await renderPrompt(reference, [{ role: 'user', content: '' }]);
    for (const [i, variant] of variants.entries()) {
      log(`  ${variant.name}: ${asked.length} prompts…`);
      const url = i === 0 ? stableUrl : await start(variant.model, basePort + i, variant.template, variant.extraArgs);
      const perPair = { cond: [] as number[], pmi: [] as number[], judged: [] as number[] };
      let equivalent = 0;
      let worse = 0;
      let worseCond = 0;
      for (const [j, prompt] of asked.entries()) {
        const stable = stableAnswers[j] ?? '';
        const answer = await ask(url, prompt);
        const side = (text: string) => ({ status: 200, answer: text, finishReason: 'stop', completionTokens: null });
        const scores = scorePair(prompt, side(stable), side(answer), options);
        if (scores.equivalent) equivalent += 1;
        let outcome = { delta: 0, pmi: 0, worse: false };
        if (!scores.identical && answer !== '' && stable !== '') {
          const rendered = await renderPrompt(reference, [{ role: 'user', content: prompt }]);
          const read = async (context: string, text: string): Promise<number> => (await answerLogProb(reference, context, text)) ?? 0;
          outcome = likelihoodOutcome(
            {
              candidate: await read(rendered, answer),
              stable: await read(rendered, stable),
              candidateWithoutQuestion: await read(empty, answer),
              stableWithoutQuestion: await read(empty, stable),
            },
            1,
          );
        }
        if (outcome.worse) worse += 1;
        if (outcome.delta < -1) worseCond += 1;
        perPair.cond.push(outcome.delta);
        perPair.pmi.push(outcome.pmi);
        perPair.judged.push(Math.min(outcome.delta, outcome.pmi));
      }
      deltas.set(variant.name, perPair);
      const n = asked.length;
      rows.push({
        candidate: variant.name,
        expected: variant.expect,
        pairs: n,
        likelihoodWorseShare: +(worse / n).toFixed(3),
        worseShareLikelihoodAlone: +(worseCond / n).toFixed(3),
        meanDelta: +(perPair.cond.reduce((a, b) => a + b, 0) / n).toFixed(3),
        meanPmiDelta: +(perPair.pmi.reduce((a, b) => a + b, 0) / n).toFixed(3),
        equivalentShare: +(equivalent / n).toFixed(3),
        oldRule80: equivalent / n >= 0.8 ? 'passes' : 'fails',
      });
    }
    const good = deltas.get('Q8_0 (the quickstart)');
    const separation = variants
      .filter((v) => v.expect === 'bad')
      .map((v) => {
        const bad = deltas.get(v.name);
        return {
          good: 'Q8_0 (the quickstart)',
          bad: v.name,
          aucLikelihoodAlone: +auc(good?.cond ?? [], bad?.cond ?? []).toFixed(3),
          aucPmi: +auc(good?.pmi ?? [], bad?.pmi ?? []).toFixed(3),
          aucJudge: +auc(good?.judged ?? [], bad?.judged ?? []).toFixed(3),
        };
      });
    return { prompts: asked.length, decoding: 'temperature 0, max_tokens 16, as the quickstart', worseBelow: -1, rows, separation };
  } finally {
    for (const server of servers) server.kill('SIGKILL');
    await Promise.allSettled(servers);
  }
}
