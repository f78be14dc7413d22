// Upstream connections as real servers treat them: an upstream that closes a kept-alive connection
// as the next request arrives on it (the keep-alive race) costs the user nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway-harness';

describe('gateway upstream connections', () => {
  it('sends a request once more on a new connection when the upstream closed the kept-alive one under it', async () => {
    const served = new WeakMap<Socket, number>();
    let connections = 0;
    const upstream = createServer((req, res) => {
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      // The second request on any connection finds it closed, with no answer.
      if (count === 2) {
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[{"message":{"content":"ok"}}]}'));
    });
    upstream.on('connection', () => (connections += 1));
    upstream.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const address = upstream.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const gateway = await startGateway();
    try {
      await gateway.admin.setRoute('chat', { stable: { url: `http://127.0.0.1:${port}/v1` } });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await request(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          body: '{"model":"chat","messages":[]}',
          headers: { 'content-type': 'application/json' },
        });
        statuses.push(response.statusCode);
        await response.body.dump();
      }
      assert.deepEqual(statuses, [200, 200, 200], 'every user request answered');
      assert.ok(connections >= 2, `the retry used a new connection (${connections} opened)`);
    } finally {
      await gateway.close();
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });
});
