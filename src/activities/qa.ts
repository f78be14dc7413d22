// QA gate activity: runs an eval suite against the served artifact through the official openai
// client and, when asked, against the route's live stable on the same cases and decoding.
import { readFile } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import OpenAI from 'openai';
import { FailureType } from '../errors';
import { parseSuite, type EvalSuite } from '../analysis/eval-suite';
import { judgeQa, scoreAnswer, type EvalCase, type EvalOutcome, type QaReport } from '../analysis/qa-gate';
import type { QaGate } from '../config/spec';
import type { GatewayAdminClient } from '../gateway/admin-client';
import { completeChat } from '../adapters/chat-client';

export interface QaInput {
  endpoint: string;
  model: string;
  suitePath: string;
  maxTokens: number;
  stop?: string[];
  requestTimeoutMs: number;
  gate: QaGate;
  /** the route whose live stable answers the same cases, side by side; unset: the artifact alone */
  compareWithRoute?: string;
  /** the file being gated, for the report */
  target?: string;
}

export interface QaDeps {
  clientFor: (endpoint: string, timeoutMs: number) => OpenAI;
  /** to find the route's stable; without it, nothing is compared */
  gateway?: GatewayAdminClient;
}

export const defaultQaDeps: QaDeps = {
  clientFor: (endpoint, timeoutMs) => new OpenAI({ baseURL: endpoint, apiKey: 'unused', timeout: timeoutMs, maxRetries: 0 }),
};

async function readSuite(path: string): Promise<EvalSuite> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw ApplicationFailure.nonRetryable(`eval suite not found: ${path}`, FailureType.EVAL_SUITE_INVALID);
  }
  try {
    return parseSuite(text, path);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, FailureType.EVAL_SUITE_INVALID);
  }
}

export function createQaActivities(deps: QaDeps) {
  async function runQaSuite(input: QaInput): Promise<QaReport> {
    const suite = await readSuite(input.suitePath);
    const client = deps.clientFor(input.endpoint, input.requestTimeoutMs);
    const route = input.compareWithRoute && deps.gateway ? await deps.gateway.getRoute(input.compareWithRoute) : undefined;
    const stable = route?.stable;
    const ctx = Context.current();
    const outcomes: EvalOutcome[] = [];
    const stableOutcomes: EvalOutcome[] = [];
    const timed = async (evalCase: EvalCase, ask: () => Promise<string>): Promise<EvalOutcome> => {
      const started = performance.now();
      try {
        const answer = await ask();
        return { id: evalCase.id, passed: scoreAnswer(evalCase, answer), latencyMs: performance.now() - started, answer };
      } catch (error) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('QA suite cancelled');
        return { id: evalCase.id, passed: false, latencyMs: performance.now() - started, error: (error as Error).message };
      }
    };
    for (const evalCase of suite.cases) {
      ctx.heartbeat({ done: outcomes.length, of: suite.cases.length });
      const askArtifact = async (): Promise<string> => {
        const completion = await client.chat.completions.create(
          {
            model: input.model,
            messages: [{ role: 'user', content: evalCase.prompt }],
            max_tokens: input.maxTokens,
            temperature: 0,
            ...(input.stop ? { stop: input.stop } : {}),
          },
          { signal: ctx.cancellationSignal },
        );
        return completion.choices[0]?.message?.content ?? '';
      };
      const askStable = (): Promise<string> =>
        completeChat(stable as NonNullable<typeof stable>, input.model, evalCase.prompt, {
          maxTokens: input.maxTokens,
          stop: input.stop,
          timeoutMs: input.requestTimeoutMs,
        });
      // Different servers: both answer at once.
      const [artifact, baseline] = await Promise.all([timed(evalCase, askArtifact), stable ? timed(evalCase, askStable) : Promise.resolve(undefined)]);
      outcomes.push(artifact);
      if (baseline) stableOutcomes.push(baseline);
    }
    return judgeQa(suite, outcomes, input.gate, stable ? stableOutcomes : null, input.target ?? null);
  }
  return { runQaSuite };
}

export type QaActivities = ReturnType<typeof createQaActivities>;
