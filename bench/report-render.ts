// Rollout report rendering: the time from opening the HTML in headless Chromium until every chart
// is drawn, for a 4-week and a 1-year rollout analysed hourly, as a ratio to a 1-day report
// (the anchor) measured side by side in the same run. Prints JSON. Not part of npm test.
//   node --import tsx bench/report-render.ts [rounds]
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../src/cli/rollout/report-command';
import { hourlyReport } from '../test/helpers/report-fixtures';
import { openInChromium } from '../test/helpers/chromium';
import { median } from './stats';

const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'gantry-report-bench-'));
const start = Date.UTC(2026, 0, 1);
const sizes = { 'one day (anchor)': 24, 'four weeks': 4 * 7 * 24, 'one year': 365 * 24 };

const files = Object.entries(sizes).map(([name, hours]) => {
  const data = hourlyReport(name, hours, start);
  return { name, hours, file: writeReport(data, join(dir, `${hours}.html`)) };
});

const times = new Map<string, number[]>(files.map((f) => [f.name, []]));
for (let round = 0; round < rounds; round++) {
  // Interleaved, so that a busy moment of the machine falls on every size alike.
  for (const { name, file } of files) {
    const page = await openInChromium(file);
    if (page.consoleErrors.length || page.inkedCanvases !== page.canvases)
      throw new Error(`${name}: ${page.consoleErrors.join('; ')} (${page.inkedCanvases}/${page.canvases} canvases drawn)`);
    times.get(name)?.push(page.renderMs);
  }
}
const anchor = median(times.get('one day (anchor)') ?? []);
console.log(
  JSON.stringify(
    files.map(({ name, hours, file }) => {
      const ms = median(times.get(name) ?? []);
      return {
        report: name,
        intervals: hours,
        kib: Math.round(statSync(file).size / 1024),
        medianRenderMs: ms,
        ratioToAnchor: Number((ms / anchor).toFixed(2)),
      };
    }),
    null,
    2,
  ),
);
