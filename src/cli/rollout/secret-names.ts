// The secrets a spec names are read on the orchestrator worker, which may run elsewhere. Where this
// machine has the worker's allow-list (GANTRY_SECRETS_FILE, as in the embedded stack), a name it
// does not permit for its endpoint is refused before anything starts; the worker refuses it again.
// Otherwise the CLI can only warn about variables that are not set here.
import { existsSync } from 'node:fs';
import type { RolloutSpec } from '../../config/spec';
import { loadSecretAllowList, secretRefusal } from '../../config/secret-allow-list';
import { GantryError } from '../../errors';

interface NamedSecret {
  field: string;
  name: string;
  /** where it is sent; null for a webhook variable (its value is the URL) */
  endpoint: string | null;
}

function namedSecrets(spec: RolloutSpec): NamedSecret[] {
  const named: NamedSecret[] = [];
  if (spec.stable && 'endpoint' in spec.stable && spec.stable.apiKeyEnv)
    named.push({ field: 'stable.apiKeyEnv', name: spec.stable.apiKeyEnv, endpoint: spec.stable.endpoint });
  const judge = spec.quality?.judge;
  if (judge?.apiKeyEnv) named.push({ field: 'quality.judge.apiKeyEnv', name: judge.apiKeyEnv, endpoint: judge.endpoint ?? null });
  spec.notifications.webhooks.forEach((webhook, i) => {
    if (webhook.urlEnv) named.push({ field: `notifications.webhooks[${i}].urlEnv`, name: webhook.urlEnv, endpoint: null });
  });
  return named;
}

/** Throws INVALID_SPEC for a secret the allow-list here refuses; returns warnings for what cannot be checked here. */
export function secretWarnings(spec: RolloutSpec, env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  let list;
  try {
    list = loadSecretAllowList(env);
  } catch (error) {
    throw new GantryError('INVALID_SPEC', (error as Error).message);
  }
  for (const secret of namedSecrets(spec)) {
    if (list) {
      const refusal = secretRefusal(list, secret.field, secret.name, secret.endpoint);
      if (refusal) throw new GantryError('INVALID_SPEC', refusal);
    }
    if (!env[secret.name]) warnings.push(`warning: ${secret.field} names ${secret.name}, which is not set here: the orchestrator worker must have it`);
  }
  if (!list && namedSecrets(spec).length > 0)
    warnings.push('warning: GANTRY_SECRETS_FILE is not set here, so the named secrets are checked only by the orchestrator worker, against its allow-list');
  spec.notifications.webhooks.forEach((webhook, i) => {
    if (webhook.urlFile && !existsSync(webhook.urlFile))
      warnings.push(`warning: notifications.webhooks[${i}].urlFile ${webhook.urlFile} does not exist here: the orchestrator worker must have it`);
  });
  return warnings;
}
