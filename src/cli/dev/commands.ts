// gantry dev up | down | status | codec-server
import type { Command } from 'commander';
import { devDown, devStatus, devUp, routeWarnings } from '../../stack/dev-stack';
import { codecEndpoint, gatewayUrl, prometheusUrl, stackConfigFromEnv, temporalUi } from '../../stack/stack-config';
import { createCodecServer } from '../../temporal/codec-server';
import { AesGcmPayloadCodec, parsePayloadKey } from '../../temporal/payload-codec';
import { GantryError } from '../../errors';
import { output } from '../output';
import { ExitCode } from '../exit-codes';

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('the embedded stack: Temporal dev server, gateway, Prometheus, orchestrator worker, host agent');

  dev
    .command('up')
    .description('start the embedded stack (state, pids and logs under .gantry/)')
    .option('--json', 'print the started processes as JSON')
    .action(async (options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const config = stackConfigFromEnv();
      const records = await devUp(config, (line) => out.line(`  ${line}`));
      out.result({ processes: records, temporalUi: temporalUi(config), gateway: gatewayUrl(config), prometheus: prometheusUrl(config) }, () =>
        [
          `dev stack up: Web UI ${temporalUi(config)}, gateway ${gatewayUrl(config)}/v1, Prometheus ${prometheusUrl(config)}`,
          'stop it with: gantry dev down',
        ].join('\n'),
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

  dev
    .command('codec-server')
    .description('decrypt payloads for the Temporal Web UI and `temporal --codec-endpoint` (needs GANTRY_PAYLOAD_KEY)')
    .option('--json', 'print where it listens as JSON')
    .action(async (options: { json?: boolean }) => {
      const out = output(Boolean(options.json));
      const config = stackConfigFromEnv();
      const key = process.env.GANTRY_PAYLOAD_KEY;
      if (!key) throw new GantryError('INVALID_SPEC', 'GANTRY_PAYLOAD_KEY is not set: payloads are not encrypted, so there is nothing to decode');
      const codec = new AesGcmPayloadCodec(parsePayloadKey(key));
      const server = createCodecServer(codec, temporalUi(config));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            error.code === 'EADDRINUSE'
              ? new GantryError('PORT_IN_USE', `port ${config.codecPort} (codec server) is already in use: set GANTRY_CODEC_PORT`)
              : error,
          ),
        );
        server.listen(config.codecPort, '127.0.0.1', resolve);
      });
      out.result({ codecEndpoint: codecEndpoint(config), keyId: codec.keyId, allowedOrigin: temporalUi(config) }, () =>
        [
          `codec server on ${codecEndpoint(config)} (key ${codec.keyId}); the Web UI at ${temporalUi(config)} may use it`,
          `decode on the command line with: temporal workflow show --codec-endpoint ${codecEndpoint(config)} -w <rollout id>`,
          'stop it with Ctrl-C',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => void server.close(() => resolve());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
