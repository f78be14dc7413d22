// QA gate activity: runs an eval suite against a served model through the official openai client.
import { readFile } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import OpenAI from 'openai';
import { FailureType } from '../errors';
import { parseEvalSuite } from '../analysis/eval-suite';
import { judgeQa, scoreAnswer, type EvalOutcome, type QaReport } from '../analysis/qa-gate';
import type { QaGate } from '../config/spec';

export interface QaInput {
  endpoint: string;
  model: string;
  suitePath: string;
  maxTokens: number;
  stop?: string[];
  requestTimeoutMs: number;
  gate: QaGate;
}

export interface QaDeps {
  clientFor: (endpoint: string, timeoutMs: number) => OpenAI;
}

export const defaultQaDeps: QaDeps = {
  clientFor: (endpoint, timeoutMs) => new OpenAI({ baseURL: endpoint, apiKey: 'unused', timeout: timeoutMs, maxRetries: 0 }),
};

export function createQaActivities(deps: QaDeps) {
  async function runQaSuite(input: QaInput): Promise<QaReport> {
    let text: string;
    try {
      text = await readFile(input.suitePath, 'utf8');
    } catch {
      throw ApplicationFailure.nonRetryable(`eval suite not found: ${input.suitePath}`, FailureType.EVAL_SUITE_INVALID);
    }
    let cases;
    try {
      cases = parseEvalSuite(text, input.suitePath);
    } catch (error) {
      throw ApplicationFailure.nonRetryable((error as Error).message, FailureType.EVAL_SUITE_INVALID);
    }
    const client = deps.clientFor(input.endpoint, input.requestTimeoutMs);
    const ctx = Context.current();
    const outcomes: EvalOutcome[] = [];
    for (const evalCase of cases) {
      ctx.heartbeat({ done: outcomes.length, of: cases.length });
      const started = performance.now();
      try {
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
        const answer = completion.choices[0]?.message?.content ?? '';
        outcomes.push({ id: evalCase.id, passed: scoreAnswer(evalCase, answer), latencyMs: performance.now() - started, answer });
      } catch (error) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('QA suite cancelled');
        outcomes.push({ id: evalCase.id, passed: false, latencyMs: performance.now() - started, error: (error as Error).message });
      }
    }
    return judgeQa(cases, outcomes, input.gate);
  }
  return { runQaSuite };
}

export type QaActivities = ReturnType<typeof createQaActivities>;
