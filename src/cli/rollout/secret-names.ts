// The secrets a spec names are read on the orchestrator worker, which may run elsewhere; the CLI
// can only warn when they are missing here, where in the embedded stack they usually come from.
import { existsSync } from 'node:fs';
import type { RolloutSpec } from '../../config/spec';

export function secretWarnings(spec: RolloutSpec, env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  const unset = (field: string, name: string): void => {
    if (!env[name]) warnings.push(`warning: ${field} names ${name}, which is not set here: the orchestrator worker must have it`);
  };
  if (spec.stable && 'endpoint' in spec.stable && spec.stable.apiKeyEnv) unset('stable.apiKeyEnv', spec.stable.apiKeyEnv);
  spec.notifications.webhooks.forEach((webhook, i) => {
    if (webhook.urlEnv) unset(`notifications.webhooks[${i}].urlEnv`, webhook.urlEnv);
    if (webhook.urlFile && !existsSync(webhook.urlFile))
      warnings.push(`warning: notifications.webhooks[${i}].urlFile ${webhook.urlFile} does not exist here: the orchestrator worker must have it`);
  });
  return warnings;
}
