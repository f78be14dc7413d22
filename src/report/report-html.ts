// The rollout report as one self-contained HTML file: the charting library (uPlot, from npm) and
// the data are inlined, so it opens anywhere without a network. Tables are rendered here, with
// every text escaped; the charts are drawn by uPlot in the browser from the inlined data.
import type { ReportData } from './report-data';

export interface ChartLibrary {
  script: string;
  css: string;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside a <script> element: nothing in it can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');
const time = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  const cells = (row: string[], tag: string): string => row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('');
  return `<table><thead><tr>${cells(head, 'th')}</tr></thead><tbody>${rows.map((r) => `<tr>${cells(r, 'td')}</tr>`).join('')}</tbody></table>`;
}

const list = (lines: readonly string[]): string =>
  lines.length ? `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '<p class="none">none</p>';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #1b1f24; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d0d7de; }
.outcome { font-weight: 600; } .Promoted { color: #1a7f37; } .RolledBack, .Failed { color: #cf222e; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
.PASS, .Pass { color: #1a7f37; } .FAIL, .Fail { color: #cf222e; } .none, .note { color: #57606a; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; margin-bottom: 12px; } .pair pre { white-space: pre-wrap; background: #f6f8fa; padding: 6px; margin: 0; }
.chart { margin: 12px 0; } .phases { font-size: 13px; } .swatch { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 10px; vertical-align: -1px; border: 1px solid #d0d7de; }
`;

const BOOT = `
const data = JSON.parse(document.getElementById('report-data').textContent);
const palette = ['#0969da', '#cf222e', '#1a7f37', '#8250df'];
// One colour per variant on every chart, whatever order a chart's lines come in.
const VARIANT_COLORS = { stable: '#0969da', candidate: '#cf222e' };
const strokeOf = (label, i) => (/^stable/.test(label) ? VARIANT_COLORS.stable : /^candidate/.test(label) ? VARIANT_COLORS.candidate : palette[i % palette.length]);
const holder = document.getElementById('charts');
for (const chart of data.charts) {
  const el = document.createElement('div');
  el.className = 'chart';
  holder.appendChild(el);
  const series = [{}, ...chart.lines.map((line, i) => ({ label: line.label, stroke: strokeOf(line.label, i), width: 2, dash: line.dash ? [6, 4] : undefined }))];
  const options = {
    title: chart.title + (chart.unit ? ' (' + chart.unit + ')' : ''),
    width: Math.min(960, holder.clientWidth || 960),
    height: 240,
    series,
    scales: { x: { time: true } },
    // The phases behind the plot, drawn first so grid and lines go over them.
    hooks: { drawClear: [(u) => {
      const { ctx, bbox } = u;
      ctx.save();
      ctx.beginPath();
      ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
      ctx.clip();
      for (const band of data.phases) {
        const left = u.valToPos(band.fromSec, 'x', true);
        const right = u.valToPos(band.toSec, 'x', true);
        ctx.fillStyle = band.color;
        ctx.fillRect(left, bbox.top, right - left, bbox.height);
      }
      ctx.restore();
    }] },
  };
  new uPlot(options, [chart.x, ...chart.lines.map((line) => line.values)], el);
}
document.body.dataset.charts = String(data.charts.length);
`;

/** Which colour is which phase, once above the charts. */
function phaseLegend(data: ReportData): string {
  const shown = [...new Map(data.phases.map((band) => [band.phase, band.color])).entries()];
  if (shown.length === 0 || data.charts.length === 0) return '';
  const items = shown.map(([phase, color]) => `<span class="swatch" style="background:${escapeHtml(color)}"></span>${escapeHtml(phase)}`);
  return `<p class="phases">phases: ${items.join(' ')}</p>`;
}

export function renderReportHtml(data: ReportData, library: ChartLibrary): string {
  const outcome = data.outcome ?? `running (${data.phase})`;
  const rules = data.rules.map((r) => [r.where, r.name, r.verdict, r.detail]);
  const pairs = data.pairs
    .map(
      (p) =>
        `<p class="note">${escapeHtml(`${p.time} · ${p.direction}`)}: ${escapeHtml(p.prompt)}</p><div class="pair"><pre>${escapeHtml(`stable:\n${p.stable}`)}</pre><pre>${escapeHtml(`candidate:\n${p.candidate}`)}</pre></div>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`Gantry rollout ${data.rolloutId}`)}</title>
<style>${library.css}</style><style>${STYLE}</style></head>
<body>
<h1>Rollout ${escapeHtml(data.rolloutId)} on route ${escapeHtml(data.route)}</h1>
<p><span class="outcome ${escapeHtml(data.outcome ?? '')}">${escapeHtml(outcome)}</span>${data.reason ? ` — ${escapeHtml(data.reason)}` : ''}</p>
<p class="note">started ${escapeHtml(time(data.startedAt))} · report made ${escapeHtml(time(data.generatedAt))} · ${data.intervals} analysis intervals recorded</p>
${data.notes.length ? `<div class="note">${list(data.notes)}</div>` : ''}
<h2>Over time</h2>${phaseLegend(data)}<div id="charts"></div>
<h2>Rules</h2>${table(['where', 'rule', 'verdict', 'value'], rules)}
<h2>Timeline</h2>${table(
    ['time', 'phase', 'what happened'],
    data.timeline.map((t) => [time(t.at), t.phase, t.message]),
  )}
<h2>Operator commands and decisions</h2>${table(
    ['time', 'by', 'action', 'reason'],
    data.commands.map((c) => [time(c.at), c.by, c.action, c.reason]),
  )}
<h2>QA report</h2>${list(data.qa)}
<h2>Answer quality</h2>${list(data.quality)}
<h2>Shadow pairs</h2>${pairs || '<p class="none">none</p>'}
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>${library.script}</script>
<script>${BOOT}</script>
</body></html>
`;
}
