// Secrets a spec names but never holds: API keys and webhook URLs, read from the worker's own
// environment or files when an activity needs them, so they never enter a workflow's history.
import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../errors';
import { webhookLabel, type Webhook } from '../config/spec';

const WORKER = 'orchestrator worker';

function missing(what: string): never {
  throw ApplicationFailure.nonRetryable(what, FailureType.INVALID_SPEC);
}

/** The value of a named variable on this worker; a one-line failure naming the field when unset. */
export function secretFromEnv(field: string, name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name]?.trim();
  if (!value) missing(`${field}: ${name} is not set on the ${WORKER} (set it where the worker starts, e.g. before \`gantry dev up\`)`);
  return value;
}

export function webhookUrl(webhook: Pick<Webhook, 'url' | 'urlEnv' | 'urlFile'>, env: NodeJS.ProcessEnv = process.env): string {
  if (webhook.url) return webhook.url;
  if (webhook.urlEnv) return secretFromEnv('notifications.webhooks[].urlEnv', webhook.urlEnv, env);
  const file = webhook.urlFile ?? missing('a webhook names no url, urlEnv or urlFile');
  let firstLine: string | undefined;
  try {
    firstLine = readFileSync(file, 'utf8').split('\n')[0]?.trim();
  } catch (error) {
    missing(`notifications.webhooks[].urlFile: cannot read ${file} on the ${WORKER}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!firstLine) missing(`notifications.webhooks[].urlFile: ${webhookLabel(webhook)} is empty`);
  return firstLine;
}
