import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inCanarySegment, segmentRuleSchema } from '../../src/gateway/segments';
import fc from 'fast-check';
import { MAX_REDACTED_CHARS, recordPrompt, redact } from '../../src/gateway/prompt-privacy';

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
  it('finds exactly the e-mail addresses the former regular expression found, on random text', () => {
    // The pattern the scanner replaces: right, but quadratic on input such as "a@a@a@…".
    const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
    const alphabet = fc.constantFrom('a', 'b', 'Z', '0', '7', '.', '-', '_', '+', '%', '@', ' ', ',', 'c', 'o', 'm');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        const text = chars.join('');
        // Numbers are redacted after e-mails; compare with digits out of the way.
        const noDigits = text.replace(/[0-9]/g, 'x');
        assert.equal(redact(noDigits), noDigits.replace(EMAIL, '[email]'), JSON.stringify(noDigits));
      }),
      { numRuns: 3000 },
    );
  });

  it('redacts adversarial input in one pass and keeps nothing past the scanned length', () => {
    const hostile = 'a@'.repeat(2 * 1024 * 1024); // 4 MiB: "a@a@a@…", the regular expression's worst case
    const redacted = redact(hostile);
    assert.ok(redacted.length <= MAX_REDACTED_CHARS + 64, `kept ${redacted.length} characters`);
    assert.match(redacted, /\[\d+ more characters not kept\]$/);
    const digits = '1 '.repeat(100_000);
    assert.equal(redact(digits), '[phone] ', 'a long run of grouped digits is one number');
    assert.equal(redact('ring 12345 or 1234567'), 'ring 12345 or [phone]');
    assert.equal(redact('order A1234567 and 2024-01-15'), 'order A1234567 and [phone]');
  });

  it('keeps only a hash when asked', () => {
    assert.match(recordPrompt('secret', 'hash'), /^sha256:[0-9a-f]{64}$/);
    assert.equal(recordPrompt('secret', 'full'), 'secret');
  });
});
