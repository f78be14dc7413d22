// gantry route history <route>: the route's stables over time, from the gateway.
import type { Command } from 'commander';
import { GantryError } from '../../errors';
import type { StableChange } from '../../gateway/stable-history';
import { adminGateway } from '../admin-gateway';
import { output } from '../output';

function historyLine(entry: StableChange): string {
  const why = entry.rolloutId ? `${entry.change} by ${entry.rolloutId}` : entry.change;
  const server = entry.deployment ? `${entry.deployment.id} on ${entry.deployment.host}` : 'external';
  return `${entry.at}  ${why.padEnd(32)} ${entry.endpoint}  (${server})${entry.artifact ? `  ${entry.artifact}` : ''}`;
}

export function registerRouteCommands(program: Command): void {
  program
    .command('route')
    .description("the gateway's routes")
    .command('history <route>')
    .description('every stable the route has had: when, why (created, promoted, reverted, re-pointed), which server and model file')
    .option('--json', 'print as JSON')
    .action(async (route: string, options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const history = await adminGateway().routeHistory(route);
      if (!history) throw new GantryError('NOT_FOUND', `no route "${route}" has been recorded by the gateway`);
      out.result(history, () => history.map(historyLine).join('\n'));
    });
}
