// gantry gateway keys create | list | revoke: client API keys for the gateway's data plane.
import type { Command } from 'commander';
import { GantryError } from '../../errors';
import type { ClientKeyView } from '../../gateway/client-keys';
import { adminGateway } from '../admin-gateway';
import { output } from '../output';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function keyLine(key: ClientKeyView): string {
  const routes = key.routes ? key.routes.join(',') : 'all routes';
  const rate = key.ratePerMinute ? `${key.ratePerMinute}/min (burst ${key.burst ?? 1})` : 'no rate limit';
  const state = key.revokedAt ? `REVOKED ${key.revokedAt}` : `created ${key.createdAt}`;
  return `${key.id}  ${key.prefix}…  ${key.name.padEnd(16)} ${routes.padEnd(20)} ${rate.padEnd(24)} ${state}`;
}

function positive(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n)))
    throw new GantryError('INVALID_SPEC', `${flag} must be a positive ${integer ? 'whole ' : ''}number, got "${value}"`);
  return n;
}

export function registerGatewayCommands(program: Command): void {
  const keys = program
    .command('gateway')
    .description("the gateway's client keys")
    .command('keys')
    .description('client API keys for the data plane (required when the gateway listens beyond loopback)');

  keys
    .command('create')
    .description('create a key; it is printed once and only its hash is kept')
    .requiredOption('--name <name>', 'who or what uses it')
    .option('--route <route>', 'a route (model name) it may call; repeat for more (default: all)', collect)
    .option('--rate <per-minute>', 'requests per minute (token bucket; default: unlimited)')
    .option('--burst <n>', 'requests at once before the rate applies (default: the rate per second)')
    .option('--json', 'print as JSON')
    .action(async (options: { name: string; route?: string[]; rate?: string; burst?: string; json?: boolean }) => {
      const out = output(Boolean(options.json));
      const created = await adminGateway().createClientKey({
        name: options.name,
        routes: options.route,
        ratePerMinute: positive('--rate', options.rate, false),
        burst: positive('--burst', options.burst, true),
      });
      out.result(created, () => [keyLine(created), `key: ${created.key}`, 'it is shown only now: clients send it as "Authorization: Bearer <key>"'].join('\n'));
    });

  keys
    .command('list')
    .description('every key, revoked ones too (never the keys themselves)')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const list = await adminGateway().listClientKeys();
      out.result(list, () => (list.length ? list.map(keyLine).join('\n') : 'no client keys (create one with `gantry gateway keys create --name …`)'));
    });

  keys
    .command('revoke <id>')
    .description('revoke a key at once, for good')
    .option('--json', 'print as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const revoked = await adminGateway().revokeClientKey(id);
      if (!revoked) throw new GantryError('NOT_FOUND', `no client key with id "${id}"`);
      out.result(revoked, () => `revoked ${keyLine(revoked)}`);
    });
}
