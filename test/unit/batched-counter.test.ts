import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { BatchedCounter } from '../../src/gateway/batched-counter';

describe('BatchedCounter', () => {
  it('shows the totals by label values when scraped', async () => {
    const registry = new Registry();
    const counter = new BatchedCounter({ name: 'test_requests_total', help: 'h', labelNames: ['route', 'variant'] as const, registers: [registry] });
    counter.inc(['chat', 'stable']);
    counter.inc(['chat', 'stable'], 2);
    counter.inc(['chat', 'candidate']);
    const text = await registry.metrics();
    assert.match(text, /test_requests_total\{route="chat",variant="stable"\} 3/);
    assert.match(text, /test_requests_total\{route="chat",variant="candidate"\} 1/);
    counter.inc(['chat', 'stable']);
    assert.match(await registry.metrics(), /test_requests_total\{route="chat",variant="stable"\} 4/, 'a second scrape is not doubled');
  });
});
