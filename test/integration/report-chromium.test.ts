// The rollout report opened in real headless Chromium: a 4-week rollout analysed hourly renders
// every chart with no console error and no network, and how long it took is printed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../src/cli/rollout/report-command';
import { hourlyReport } from '../helpers/report-fixtures';
import { openInChromium } from '../helpers/chromium';

describe('the rollout report in Chromium', () => {
  it('renders a 4-week hourly record: every chart drawn, no console error, no network needed', async () => {
    const start = Date.UTC(2026, 10, 1);
    const dir = mkdtempSync(join(tmpdir(), 'gantry-report-'));
    const data = hourlyReport('four-weeks', 4 * 7 * 24, start, ['QA score 92.0']);
    const file = writeReport(data, join(dir, 'report.html'));
    const bandColors = data.phases.map((band) => band.color);
    assert.deepEqual(
      data.phases.map((band) => band.phase),
      ['Shadow', 'Canary', 'Evaluation'],
    );
    const page = await openInChromium(file, join(dir, 'report.png'), bandColors);
    assert.deepEqual(page.consoleErrors, []);
    assert.equal(page.charts, 4);
    assert.ok(page.canvases >= 4, `canvases: ${page.canvases}`);
    assert.equal(page.inkedCanvases, page.canvases, 'every chart has something drawn on it');
    for (const color of bandColors) assert.equal(page.canvasesWithColor[color], page.charts, `every chart shows the phase band in ${color}`);
    assert.match(page.text, /phases: Shadow Canary Evaluation/);
    assert.ok(statSync(join(dir, 'report.png')).size > 20_000, 'the screenshot is not blank');
    assert.match(page.title, /four-weeks/);
    assert.match(page.text, /672 analysis intervals recorded/);
    assert.match(page.text, /lunch <\/script><script>alert\(1\)<\/script>/, 'the reason is shown as text');
    console.log(`# report of 672 hourly intervals: ${(statSync(file).size / 1024).toFixed(0)} KiB, rendered in Chromium in ${page.renderMs} ms`);
  });
});
