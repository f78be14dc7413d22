// The package as a user installs it: `npm pack`, installed into an empty folder, runs `gantry
// --help` and brings the embedded stack up and down from there — built code only, no tsx.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT, toolPath } from '../../src/config/toolchain';
import { envFor, stackConfigOnFreePorts } from '../helpers/real-stack';

const folder = mkdtempSync(join(tmpdir(), 'gantry-installed-'));
after(() => rmSync(folder, { recursive: true, force: true }));

describe('the packed package', () => {
  it('installs into an empty folder, answers --help, and runs the embedded stack from there', async () => {
    const packed = await execa('npm', ['pack', '--silent', '--pack-destination', folder], { cwd: REPO_ROOT });
    const tarball = join(folder, packed.stdout.trim().split('\n').at(-1) ?? '');
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'installs-gantry', version: '1.0.0', private: true }));
    // The dependencies are in npm's cache from the checkout's own install.
    await execa('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: folder });
    const gantry = join(folder, 'node_modules', '.bin', 'gantry');

    const help = await execa(gantry, ['--help'], { cwd: folder });
    assert.match(help.stdout, /Usage: gantry \[options\] \[command\]/);
    assert.match(help.stdout, /rollout/);

    const config = await stackConfigOnFreePorts();
    const env = {
      ...envFor({ ...config, stateDir: join(folder, '.gantry') }),
      GANTRY_TEMPORAL_CLI: toolPath('temporal'),
      GANTRY_LLAMA_SERVER: toolPath('llamaServer'),
      GANTRY_LLAMA_QUANTIZE: toolPath('llamaQuantize'),
      GANTRY_PROMETHEUS: toolPath('prometheus'),
    };
    delete (env as Record<string, string | undefined>).GANTRY_STATE_DIR; // installed: the working folder's .gantry
    const up = await execa(gantry, ['dev', 'up'], { cwd: folder, env, reject: false });
    try {
      assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
      const status = await execa(gantry, ['dev', 'status', '--json'], { cwd: folder, env, reject: false });
      const report = JSON.parse(status.stdout) as { processes: { name: string; healthy: boolean; pid: number }[] };
      assert.deepEqual(
        report.processes.map((p) => [p.name, p.healthy]),
        [
          ['temporal', true],
          ['gateway', true],
          ['prometheus', true],
          ['orchestrator', true],
          ['host-agent', true],
        ],
      );
      const cmdline = await execa('ps', ['-o', 'args=', '-p', report.processes.map((p) => String(p.pid)).join(',')]);
      assert.ok(!cmdline.stdout.includes('tsx'), `no process runs through tsx:\n${cmdline.stdout}`);
      assert.match(cmdline.stdout, /node_modules\/gantry\/dist\/orchestrator\.js/);
    } finally {
      const down = await execa(gantry, ['dev', 'down'], { cwd: folder, env, reject: false });
      assert.equal(down.exitCode, 0, down.stderr);
    }
  });
});
