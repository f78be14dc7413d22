// Which secrets a worker may give out, and to whom. A spec names a variable (`apiKeyEnv`, `urlEnv`)
// and chooses the endpoint it is sent to, and anyone who can start a rollout writes specs: without
// this list a spec could name the admin token or the Temporal key and send it to a host of its
// choosing. The operator writes the list (GANTRY_SECRETS_FILE on the orchestrator worker):
//
//   STABLE_API_KEY: [https://api.example.com/v1]     # name: the URL prefixes it may be sent to
//   SLACK_WEBHOOK_URL: [https://hooks.slack.com/]    # a webhook variable: prefixes its URL must have
//
// A name that is not listed is refused; so is one that the worker uses itself, whatever the list says.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isReservedSecretName, RESERVED_SECRET_MESSAGE } from './secret-names';

const allowListSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
  z.array(z.url()).min(1, 'list at least one URL prefix the secret may be sent to'),
);
export type SecretAllowList = z.output<typeof allowListSchema>;

/** Parses the operator's list; throws one line naming the file and the entry. */
export function parseSecretAllowList(text: string, file: string): SecretAllowList {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new Error(`${file}: not YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const result = allowListSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export function loadSecretAllowList(env: NodeJS.ProcessEnv): SecretAllowList | null {
  const file = env.GANTRY_SECRETS_FILE;
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`GANTRY_SECRETS_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return parseSecretAllowList(text, file);
}

/** Whether `url` lies under `prefix`: same scheme, host and port, and a path below the prefix's. */
export function urlUnder(url: string, prefix: string): boolean {
  let target: URL;
  let base: URL;
  try {
    target = new URL(url);
    base = new URL(prefix);
  } catch {
    return false;
  }
  if (target.protocol !== base.protocol || target.host !== base.host) return false;
  if (target.username || target.password) return false;
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const targetPath = target.pathname.endsWith('/') ? target.pathname : `${target.pathname}/`;
  return targetPath.startsWith(basePath);
}

/**
 * Why `name` may not be sent to `endpoint`, or null when it may. `endpoint` null: a webhook
 * variable, whose value is checked once read (see `valueAllowed`).
 */
export function secretRefusal(list: SecretAllowList | null, field: string, name: string, endpoint: string | null): string | null {
  if (isReservedSecretName(name)) return `${field}: ${name} ${RESERVED_SECRET_MESSAGE}`;
  if (!list)
    return `${field}: ${name} is not in the worker's secrets allow-list (set GANTRY_SECRETS_FILE to a file that lists it with the endpoints it may be sent to)`;
  const prefixes = list[name];
  if (!prefixes) return `${field}: ${name} is not in the worker's secrets allow-list (GANTRY_SECRETS_FILE)`;
  if (endpoint !== null && !prefixes.some((prefix) => urlUnder(endpoint, prefix)))
    return `${field}: ${name} may not be sent to ${originOf(endpoint)} (the allow-list binds it to ${prefixes.join(', ')})`;
  return null;
}

/** A webhook variable's value must itself lie under one of its prefixes. */
export function valueAllowed(list: SecretAllowList, name: string, value: string): boolean {
  return (list[name] ?? []).some((prefix) => urlUnder(value, prefix));
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}
