// Webhook delivery over a real local HTTP server: JSON and Slack bodies, and a failing hook that
// throws so Temporal retries it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createNotificationActivities, type NotificationPayload } from '../../src/activities/notifications';
import { webhookSchema } from '../../src/config/spec';

let server: Server;
let url = '';
const received: { path: string; body: Record<string, unknown> }[] = [];

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      response.statusCode = request.url === '/down' ? 503 : 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
after(() => server.close());

const payload: NotificationPayload = {
  rolloutId: 'r1',
  route: 'chat',
  event: 'rolled-back',
  level: 'CRITICAL',
  phase: 'RolledBack',
  step: 2,
  weight: 0,
  message: 'error rate 30%',
  link: 'http://ui/r1',
  at: '2026-11-22T10:00:00.000Z',
};
const { sendNotification } = createNotificationActivities({ timeoutMs: 2_000 });

describe('webhook notifications', () => {
  it('posts the event as JSON', async () => {
    await sendNotification({ webhook: webhookSchema.parse({ url: `${url}/json` }), payload });
    assert.deepEqual(received.at(-1), { path: '/json', body: payload });
  });

  it('posts a Slack-compatible body', async () => {
    await sendNotification({ webhook: webhookSchema.parse({ url: `${url}/slack`, format: 'slack' }), payload });
    const body = received.at(-1)?.body as { text: string; attachments: { color: string; title_link: string }[] };
    assert.equal(body.text, '[CRITICAL] Gantry rollout r1 (chat): rolled-back — error rate 30%');
    assert.equal(body.attachments[0]?.color, '#e01e5a');
    assert.equal(body.attachments[0]?.title_link, 'http://ui/r1');
  });

  it('throws when the hook answers an error, so the delivery is retried', async () => {
    await assert.rejects(sendNotification({ webhook: webhookSchema.parse({ url: `${url}/down` }), payload }), /answered 503/);
  });
});
