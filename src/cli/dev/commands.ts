// gantry dev up | down | status
import type { Command } from 'commander';
import { devDown, devStatus, devUp, routeWarnings } from '../../stack/dev-stack';
import { gatewayUrl, stackConfigFromEnv, temporalUi } from '../../stack/stack-config';
import { output } from '../output';
import { ExitCode } from '../exit-codes';

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('the embedded stack: Temporal dev server, gateway, orchestrator worker, host agent');

  dev
    .command('up')
    .description('start the embedded stack (state, pids and logs under .gantry/)')
    .option('--json', 'print the started processes as JSON')
    .action(async (options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const config = stackConfigFromEnv();
      const records = await devUp(config, (line) => out.line(`  ${line}`));
      out.result({ processes: records, temporalUi: temporalUi(config), gateway: gatewayUrl(config) }, () =>
        [`dev stack up: Web UI ${temporalUi(config)}, gateway ${gatewayUrl(config)}/v1`, 'stop it with: gantry dev down'].join('\n'),
      );
    });

  dev
    .command('down')
    .description('stop every process `dev up` started, and the model servers its host agent started')
    .option('--json', 'print what was stopped as JSON')
    .action(async (options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const stopped = await devDown(stackConfigFromEnv(), (line) => out.line(`  ${line}`));
      out.result({ stopped }, () => (stopped.length ? `dev stack down (${stopped.length} processes stopped)` : 'nothing was running'));
    });

  dev
    .command('status')
    .description('each process, its pid, port and health, and routes whose stable is down')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const config = stackConfigFromEnv();
      const processes = await devStatus(config);
      const warnings = processes.some((p) => p.name === 'gateway' && p.healthy) ? await routeWarnings(config) : [];
      const nothing = processes.every((p) => !p.alive);
      out.result({ processes, warnings }, () =>
        nothing
          ? 'the dev stack is not running (start it with `gantry dev up`)'
          : [
              ...processes.map(
                (p) =>
                  `${p.name.padEnd(13)} pid ${String(p.pid ?? '-').padEnd(8)} port ${String(p.port ?? '-').padEnd(6)} ${p.healthy ? 'healthy' : p.alive ? 'UNHEALTHY' : 'DOWN'}  ${p.detail}`,
              ),
              ...warnings.map((w) => `WARNING ${w}`),
              ...(processes.some((p) => !p.alive) ? ['start what is down with: gantry dev up (running processes are left alone)'] : []),
            ].join('\n'),
      );
      if (nothing || processes.some((p) => !p.healthy) || warnings.length > 0) process.exitCode = ExitCode.UNAVAILABLE;
    });
}
