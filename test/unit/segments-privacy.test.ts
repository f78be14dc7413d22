import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inCanarySegment, segmentRuleSchema } from '../../src/gateway/segments';
import { recordPrompt, redact } from '../../src/gateway/prompt-privacy';

describe('segment rules', () => {
  const rules = [
    segmentRuleSchema.parse({ kind: 'header', name: 'X-Intent', matches: '^(greeting|smalltalk)$' }),
    segmentRuleSchema.parse({ kind: 'metadata', field: 'segment', equals: 'casual' }),
  ];
  const table: [string, Record<string, string>, unknown, boolean][] = [
    ['a greeting by header', { 'x-intent': 'greeting' }, undefined, true],
    ['casual chat by metadata', {}, { segment: 'casual' }, true],
    ['a billing question', { 'x-intent': 'billing' }, { segment: 'support' }, false],
    ['no header and no metadata', {}, undefined, false],
    ['metadata of the wrong type', {}, { segment: 7 }, false],
  ];
  for (const [what, headers, metadata, expected] of table) {
    it(`${what} → ${expected ? 'canary' : 'stable only'}`, () => {
      assert.equal(inCanarySegment(rules, { headers, metadata, model: 'chat' }), expected);
    });
  }
  it('lets every request into the canary when there are no rules', () => {
    assert.equal(inCanarySegment([], { headers: {}, metadata: undefined, model: 'chat' }), true);
  });
  it('refuses a pattern that is not a regular expression when the route is set', () => {
    const result = segmentRuleSchema.safeParse({ kind: 'header', name: 'x-intent', matches: '(unclosed' });
    assert.equal(result.success, false);
    assert.match(result.error?.issues[0]?.message ?? '', /not a valid regular expression/);
  });
  it('matches the requested model name', () => {
    assert.equal(
      inCanarySegment([segmentRuleSchema.parse({ kind: 'model', equals: 'chat-lite' })], { headers: {}, metadata: undefined, model: 'chat-lite' }),
      true,
    );
  });
});

describe('prompt recording', () => {
  it('redacts emails, phone numbers and card numbers, and keeps the rest', () => {
    const prompt = 'I am ann.lee@example.com, call +44 20 7946 0958 or 555-123-4567; card 4111 1111 1111 1111 expired in 2024 after 3 tries';
    assert.equal(redact(prompt), 'I am [email], call [phone] or [phone]; card [card] expired in 2024 after 3 tries');
  });
  it('keeps only a hash when asked', () => {
    assert.match(recordPrompt('secret', 'hash'), /^sha256:[0-9a-f]{64}$/);
    assert.equal(recordPrompt('secret', 'full'), 'secret');
  });
});
