// Secrets a spec names but never holds: API keys and webhook URLs, read from the worker's own
// environment or files when an activity needs them, so they never enter a workflow's history. A
// variable is read only when the operator's allow-list (GANTRY_SECRETS_FILE) names it and binds it
// to the endpoint it is about to be sent to: a spec can name a variable, not choose any.
import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../errors';
import { webhookLabel, type Webhook } from '../config/spec';
import { loadSecretAllowList, secretRefusal, valueAllowed } from '../config/secret-allow-list';

const WORKER = 'orchestrator worker';

function refused(what: string): never {
  throw ApplicationFailure.nonRetryable(what, FailureType.INVALID_SPEC);
}

function allowList(env: NodeJS.ProcessEnv) {
  try {
    return loadSecretAllowList(env);
  } catch (error) {
    return refused((error as Error).message);
  }
}

/**
 * The value of a named variable on this worker, for sending to `endpoint`; a one-line failure naming
 * the field when the allow-list does not permit it or the variable is unset.
 */
export function secretFromEnv(field: string, name: string, endpoint: string, env: NodeJS.ProcessEnv = process.env): string {
  const refusal = secretRefusal(allowList(env), field, name, endpoint);
  if (refusal) refused(refusal);
  const value = env[name]?.trim();
  if (!value) refused(`${field}: ${name} is not set on the ${WORKER} (set it where the worker starts, e.g. before \`gantry dev up\`)`);
  return value;
}

export function webhookUrl(webhook: Pick<Webhook, 'url' | 'urlEnv' | 'urlFile'>, env: NodeJS.ProcessEnv = process.env): string {
  if (webhook.url) return webhook.url;
  if (webhook.urlEnv) {
    const field = 'notifications.webhooks[].urlEnv';
    const list = allowList(env);
    const refusal = secretRefusal(list, field, webhook.urlEnv, null);
    if (refusal || !list) refused(refusal ?? field);
    const value = env[webhook.urlEnv]?.trim();
    if (!value) refused(`${field}: ${webhook.urlEnv} is not set on the ${WORKER} (set it where the worker starts, e.g. before \`gantry dev up\`)`);
    // The value is the secret: say that it did not match, never what it is.
    if (!valueAllowed(list, webhook.urlEnv, value)) refused(`${field}: the URL in ${webhook.urlEnv} is not under the prefixes the allow-list binds it to`);
    return value;
  }
  const file = webhook.urlFile ?? refused('a webhook names no url, urlEnv or urlFile');
  let firstLine: string | undefined;
  try {
    firstLine = readFileSync(file, 'utf8').split('\n')[0]?.trim();
  } catch (error) {
    refused(`notifications.webhooks[].urlFile: cannot read ${file} on the ${WORKER}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!firstLine) refused(`notifications.webhooks[].urlFile: ${webhookLabel(webhook)} is empty`);
  return firstLine;
}
