import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamMeter, usageIn } from '../../src/gateway/answer-meter';

describe('answer meter', () => {
  it('reads the usage object at the end of a JSON answer', () => {
    const body = Buffer.from(
      JSON.stringify({ choices: [{ message: { content: 'Paris' } }], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } }),
    );
    assert.deepEqual(usageIn(body), { promptTokens: 12, completionTokens: 3 });
    assert.deepEqual(usageIn(Buffer.from('{"choices":[]}')), { promptTokens: null, completionTokens: null });
  });

  it('counts streamed content events, skipping empty ones, across chunks', () => {
    const meter = new StreamMeter(true);
    meter.onChunk(Buffer.from('data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n'));
    meter.onChunk(Buffer.from('data: {"choices":[{"delta":{"content":"Pa"}}]}\n\ndata: {"choices":[{"delta":{"content":"ris"}}]}\n\n'));
    meter.onChunk(Buffer.from('data: [DONE]\n\n'));
    assert.ok(meter.firstChunkAt !== undefined);
    assert.deepEqual(meter.usage(), { promptTokens: null, completionTokens: 2 });
    assert.match(meter.text() ?? '', /"ris"/);
  });

  it("takes a stream's usage event when there is one, even split over two chunks", () => {
    const meter = new StreamMeter(false);
    meter.onChunk(Buffer.from('data: {"choices":[{"delta":{"content":"Paris"}}]}\n\ndata: {"choices":[],"us'));
    meter.onChunk(Buffer.from('age":{"prompt_tokens":9,"completion_tokens":4}}\n\ndata: [DONE]\n\n'));
    assert.deepEqual(meter.usage(), { promptTokens: 9, completionTokens: 4 });
    assert.equal(meter.text(), null, 'no copy kept unless asked');
  });
});
