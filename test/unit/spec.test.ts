import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec, parseSpec } from '../../src/config/load-spec';
import { parseDuration, formatDuration } from '../../src/config/duration';
import { GantryError } from '../../src/errors';
import { rolloutSpecSchema } from '../../src/config/spec';
import { rolloutIdProblem } from '../../src/config/rollout-id';
import { insideFolder } from '../../src/safe-path';

const valid = `
name: demo
route: chat
candidate: { model: ./m.gguf }
canary: { steps: [{ weight: 10, duration: 1h }, { weight: 100, duration: 2d }] }
`;

describe('durations', () => {
  it('parses human durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('2w'), 1_209_600_000);
    assert.throws(() => parseDuration('7 days'), /not a duration/);
  });
  it('formats the two largest units', () => {
    assert.equal(formatDuration(90_061_000), '1d1h');
    assert.equal(formatDuration(59_000), '59s');
  });
});

describe('rollout spec', () => {
  it('fills defaults and converts durations to milliseconds', () => {
    const spec = parseSpec(valid, 'spec.yaml');
    assert.equal(spec.canary.steps[1]?.duration, 172_800_000);
    assert.equal(spec.analysis.interval, 60_000);
    assert.equal(spec.candidate.engine, 'llama.cpp');
    assert.equal(spec.candidate.server.contextSize, 2048);
    assert.equal(spec.analysis.promote.minSamples, 200);
    assert.deepEqual(spec.rollbackPolicy, { kind: 'immediate', over: 600_000, steps: 4 });
    assert.deepEqual([spec.analysis.rollback.severity, spec.analysis.rollback.pauseOnWarning], [{}, false]);
  });

  it('loads the shipped examples and resolves paths against the spec folder', () => {
    for (const file of ['configs/rollouts/quickstart.yaml', 'configs/rollouts/bad-candidate.yaml', 'configs/rollouts/weeks-long.yaml']) {
      const spec = loadSpec(file);
      assert.ok(spec.candidate.model.startsWith('/'), spec.candidate.model);
    }
    const quick = loadSpec('configs/rollouts/quickstart.yaml');
    assert.match(quick.candidate.server.chatTemplateFile ?? '', /\/configs\/templates\/question-answer\.jinja$/);
  });

  it('every shipped spec judges answer quality with critical metrics, and none promotes on inconclusive evidence', () => {
    const files = readdirSync('configs/rollouts').filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 6, files.join(', '));
    for (const file of files) {
      const spec = loadSpec(join('configs/rollouts', file));
      const metrics = spec.quality?.metrics ?? [];
      assert.ok(
        metrics.some((m) => m.critical && !m.informational && ['equivalence', 'likelihood', 'judge'].includes(m.kind)),
        `${file}: a critical live-pair metric`,
      );
      assert.ok(!metrics.some((m) => !m.critical || m.informational), `${file}: every metric critical`);
      assert.notEqual(spec.quality?.onInconclusive, 'promote', file);
      assert.ok(!readFileSync(join('configs/rollouts', file), 'utf8').includes('onInconclusive: promote'), file);
    }
  });

  const invalid: [string, string, RegExp][] = [
    ['a missing field', valid.replace('route: chat\n', ''), /spec.yaml: route: /],
    ['a bad duration', valid.replace('1h', 'one hour'), /spec.yaml: canary.steps\[0\].duration: "one hour" is not a duration/],
    ['a weight above 100', valid.replace('weight: 100', 'weight: 150'), /canary.steps\[1\].weight: /],
    ['decreasing weights', valid.replace('weight: 10,', 'weight: 60,').replace('weight: 100', 'weight: 50'), /canary.steps: weights must not decrease/],
    ['an unknown field', `${valid}\nshadoww: { duration: 1d }`, /^spec\.yaml: \(root\): unknown field "shadoww" \(did you mean "shadow"\?\)$/],
    [
      'a misspelt top-level section',
      valid.replace('canary:', 'canery:'),
      /^spec\.yaml: \(root\): unknown field "canery" \(did you mean "canary"\?\) \(and 1 more\)$/,
    ],
    [
      'a misspelt nested field',
      valid.replace('weight: 10,', 'wieght: 10,'),
      /^spec\.yaml: canary\.steps\[0\]: unknown field "wieght" \(did you mean "weight"\?\)/,
    ],
    ['an unknown field with no near name', `${valid}\nanalysis: { baseline: { flux: 1 } }`, /^spec\.yaml: analysis\.baseline: unknown field "flux"$/],
    ['an unknown engine', valid.replace('{ model: ./m.gguf }', '{ model: ./m.gguf, engine: tgi }'), /candidate.engine: /],
    ['no canary steps', valid.replace(/canary: .*\n/, 'canary: { steps: [] }\n'), /canary.steps: /],
    ['YAML that does not parse', 'name: [unclosed', /not valid YAML/],
    ['a bad name', valid.replace('name: demo', 'name: Demo Rollout'), /name: lowercase letters/],
    [
      'a cost rule without prices',
      `${valid}\nanalysis: { rollback: { maxCostPerRequestRatio: 1 } }`,
      /^spec\.yaml: analysis\.rollback\.maxCostPerRequestRatio: needs analysis\.cost: the price of the stable and of the candidate$/,
    ],
    [
      'a severity for a rule that is not set',
      `${valid}\nanalysis: { rollback: { maxErrorRate: 0.1, severity: { maxP95Ms: warning } } }`,
      /^spec\.yaml: analysis\.rollback\.severity\.maxP95Ms: no maxP95Ms rule is set to give a severity to$/,
    ],
    ['a rollback kind of no known kind', `${valid}\nrollbackPolicy: { kind: slow }`, /^spec\.yaml: rollbackPolicy\.kind: /],
    ['a gradual rollback of no length', `${valid}\nrollbackPolicy: { kind: gradual, over: 0 }`, /^spec\.yaml: rollbackPolicy\.over: must be longer than 0$/],
    [
      'a price of no known kind',
      `${valid}\nanalysis: { cost: { stable: { perToken: 1 }, candidate: { perGpuHour: 2 } } }`,
      /^spec\.yaml: analysis\.cost\.stable: unknown field "perToken"/,
    ],
  ];
  for (const [what, text, message] of invalid) {
    it(`rejects ${what} with the field path`, () => {
      assert.throws(
        () => parseSpec(text, 'spec.yaml'),
        (error: unknown) => error instanceof GantryError && error.type === 'INVALID_SPEC' && message.test(error.message) && !error.message.includes('\n'),
      );
    });
  }

  it('takes route settings for the gateway, validated like the admin API', () => {
    const spec = parseSpec(`${valid}\ngateway: { segments: [{ kind: header, name: x-intent, equals: greeting }], pairPrompt: redacted }`, 'spec.yaml');
    assert.equal(spec.gateway?.pairPrompt, 'redacted');
    assert.equal(spec.gateway?.segments?.[0]?.kind, 'header');
    assert.throws(() => parseSpec(`${valid}\ngateway: { segments: [{ kind: cookie, name: x }] }`, 'spec.yaml'), /gateway\.segments\[0\]\.kind: /);
  });

  it('names an unreadable spec file', () => {
    assert.throws(() => loadSpec('/nonexistent/spec.yaml'), /\/nonexistent\/spec.yaml: cannot read the spec file/);
  });
});

describe('server.extraArgs and rollout ids', () => {
  const base = {
    name: 'demo',
    route: 'chat',
    candidate: { model: '/models/m.gguf' },
    canary: { steps: [{ weight: 100, duration: '1h' }] },
  };
  const problem = (candidate: object): string => {
    const result = rolloutSpecSchema.safeParse({ ...base, candidate: { ...base.candidate, ...candidate } });
    return result.success ? 'accepted' : `${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}`;
  };
  it('refuses the flags Gantry owns, by name, for each engine, and lets tuning flags through', () => {
    assert.match(problem({ server: { extraArgs: ['--host', '0.0.0.0'] } }), /^candidate\.server\.extraArgs: --host is set by Gantry/);
    assert.match(problem({ server: { extraArgs: ['--log-file=/etc/passwd'] } }), /--log-file is set by Gantry/);
    assert.match(problem({ server: { extraArgs: ['-m', '/other.gguf'] } }), /-m is set by Gantry/);
    assert.match(problem({ engine: 'vllm', server: { extraArgs: ['--trust-remote-code'] } }), /--trust-remote-code is set by Gantry .* for vllm/);
    assert.equal(problem({ server: { extraArgs: ['--temp', '0.7', '--flash-attn', 'on'] } }), 'accepted');
    assert.equal(problem({ engine: 'vllm', server: { extraArgs: ['--enforce-eager'] } }), 'accepted');
  });
  it('holds rollout ids to a pattern that cannot leave a folder', () => {
    assert.equal(rolloutIdProblem('gemma-270m-q8-20261207-101500'), null);
    for (const id of ['../../..', '.', '..', 'a/b', 'a\\b', '', 'x'.repeat(129)]) assert.match(rolloutIdProblem(id) ?? 'allowed', /is not allowed/, id);
    assert.equal(insideFolder('/data/quality', 'r1'), '/data/quality/r1');
    assert.throws(() => insideFolder('/data/quality', '../../etc'), /would leave \/data\/quality/);
  });
});
