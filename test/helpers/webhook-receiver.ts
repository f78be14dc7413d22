// A local webhook endpoint that keeps what Gantry sends it, for tests that check alerts.
import { createServer, type Server } from 'node:http';

export interface ReceivedNotification {
  event: string;
  level: string;
  message: string;
  rolloutId: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedNotification[];
  /** The first notification that matches, once it has arrived: webhooks are sent after the fact. */
  waitFor(match: (n: ReceivedNotification) => boolean, timeoutMs?: number): Promise<ReceivedNotification>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedNotification[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body) as ReceivedNotification);
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`,
    received,
    async waitFor(match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching notification in ${timeoutMs} ms; received: ${JSON.stringify(received)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
