// The rollout report's data and HTML: charts from the interval record, every rule, what could not
// be shown named, and every text escaped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { phaseBands, recordCharts, reportData } from '../../src/report/report-data';
import { renderReportHtml } from '../../src/report/report-html';
import { finishedStatus, hourlyRecord } from '../helpers/report-fixtures';

const START = Date.UTC(2026, 10, 1);

describe('the rollout report', () => {
  it('charts weight, error rate and p95 of stable vs candidate, and every custom metric, interval by interval', () => {
    const record = hourlyRecord(4 * 7 * 24, START);
    const charts = recordCharts(record);
    assert.deepEqual(
      charts.map((c) => c.title),
      ['Candidate weight', 'Error rate per interval', 'p95 latency per interval', 'Custom metric: tokens-per-second'],
    );
    assert.ok(charts.every((c) => c.x.length === 672 && c.lines.every((l) => l.values.length === 672)));
    const weights = new Set(charts[0]?.lines[0]?.values);
    assert.deepEqual([...weights], [0, 1, 5, 25, 50, 100]);
    const errors = charts[1]?.lines[0]?.values ?? [];
    assert.ok(
      errors.every((v) => v !== null && v > 0 && v < 1),
      'the stable errs 1–3 in 600: a rate in percent',
    );
  });

  it('charts each answer-quality metric over time: its estimate, the confidence sequence, the floor and the threshold, in percent', () => {
    const record = hourlyRecord(3, START).map((entry, i) => ({
      ...entry,
      quality: [
        {
          name: 'equivalent-or-better',
          status: 'CONTINUE',
          estimate: 0.8,
          interval: [0.7 - i * 0.01, 0.9] as [number, number],
          floor: 0.75,
          threshold: 0.65,
          share: true,
        },
        { name: 'experts', status: 'NO DATA', estimate: null, interval: null, share: false },
      ],
    }));
    const charts = recordCharts(record).filter((c) => c.title.startsWith('Answer quality'));
    assert.deepEqual(
      charts.map((c) => [c.title, c.unit]),
      [
        ['Answer quality: equivalent-or-better', '%'],
        ['Answer quality: experts', ''],
      ],
    );
    const [equivalence] = charts;
    assert.deepEqual(
      equivalence?.lines.map((l) => [l.label, l.values[1], l.dash ?? false]),
      [
        ['candidate estimate', 80, false],
        ['candidate lower bound', 69, true],
        ['candidate upper bound', 90, true],
        ['stable noise floor', 75, true],
        ['threshold', 65, true],
      ],
    );
    assert.deepEqual(
      charts[1]?.lines.map((l) => l.label),
      ['candidate estimate', 'candidate lower bound', 'candidate upper bound'],
      'no floor or threshold lines where the metric has none',
    );
  });

  it('lists every rule with its verdict, and names what it could not show', () => {
    const data = reportData({
      status: finishedStatus('r-1', START, START + 1000),
      qa: [],
      quality: [],
      intervals: null,
      pairs: [],
      extraCharts: [],
      notes: ['x'],
      now: START,
    });
    assert.deepEqual(
      data.rules.map((r) => [r.where, r.name, r.verdict]),
      [
        ['last interval', 'error rate', 'PASS'],
        ['custom metric', 'tokens-per-second', 'PASS'],
        ['evaluation', 'candidate samples', 'PASS'],
      ],
    );
    assert.equal(data.charts.length, 0);
    assert.deepEqual(data.notes, ['x', 'no interval record for this rollout on this machine: charts over time are not shown']);
  });

  it('draws the phases as spans: notes within a phase do not split it, an outcome ends the last', () => {
    const at = (hours: number): number => START + hours * 3_600_000;
    const timeline = [
      { at: at(0), phase: 'QA', message: 'QA gate' },
      { at: at(1), phase: 'Shadow', message: 'shadow phase' },
      { at: at(25), phase: 'Canary', message: 'canary step 1 at 5%' },
      { at: at(30), phase: 'Canary', message: 'paused by ops' },
      { at: at(49), phase: 'RollingBack', message: 'rolling back' },
      { at: at(49), phase: 'RolledBack', message: 'rolled back' },
    ];
    assert.deepEqual(
      phaseBands(timeline, at(100)).map((b) => [b.phase, (b.fromSec * 1000 - START) / 3_600_000, (b.toSec * 1000 - START) / 3_600_000, b.color]),
      [
        ['QA', 0, 1, '#eeeeee'],
        ['Shadow', 1, 25, '#fff1cc'],
        ['Canary', 25, 49, '#dcebff'],
      ],
    );
    const running = phaseBands(timeline.slice(0, 4), at(40));
    assert.deepEqual(running.at(-1), { phase: 'Canary', fromSec: at(25) / 1000, toSec: at(40) / 1000, color: '#dcebff' }, 'a running rollout: until now');
  });

  it('escapes every text: an operator reason or a prompt cannot run script in the report', () => {
    const status = finishedStatus('r-2', START, START + 1000, '<img src=x onerror=alert(1)>');
    const pairs = [{ time: 't', direction: 'shadow', prompt: '</script><b>bold</b>', stable: 'a & b', candidate: '"quoted"' }];
    const html = renderReportHtml(
      reportData({ status, qa: [], quality: [], intervals: hourlyRecord(3, START), pairs, extraCharts: [], notes: [], now: START }),
      {
        script: '/* chart library */',
        css: '',
      },
    );
    assert.ok(!html.includes('<script>alert(1)'), 'the audit reason is escaped');
    assert.ok(!html.includes('<img src=x'), 'the timeline message is escaped');
    assert.ok(!html.includes('<b>bold</b>'), 'a pair prompt is escaped');
    assert.ok(html.includes('&#60;/script&#62;&#60;b&#62;bold'), 'and still shown');
    const json = /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    assert.ok(json.length > 0 && !json.includes('<'), 'the inlined data cannot close its element');
    assert.equal((JSON.parse(json) as { rolloutId: string }).rolloutId, 'r-2');
  });
});
