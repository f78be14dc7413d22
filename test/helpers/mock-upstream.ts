// A small OpenAI-compatible upstream for tests and benchmarks where the model's answer does not
// matter (durability, fuzzing, PostgreSQL, proxy overhead): a fixed answer with usage, streamed or
// not, optionally slow, failing, or never answering. Real sockets; Node's own http server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface MockUpstreamBehaviour {
  /** delay before answering */
  delayMs?: number;
  /** accept the request and never answer */
  hang?: boolean;
  /** answer every request with this status and an OpenAI-style error */
  failStatus?: number;
}

export interface MockUpstream {
  url: string;
  requests: number;
  behave(behaviour: MockUpstreamBehaviour): void;
  /** answers, as the behaviour now says, the requests held by `hang` */
  release(): void;
  close(): Promise<void>;
}

/** The fixed non-streamed answer (also what the benchmark's nginx upstream answers). */
export const MOCK_ANSWER = JSON.stringify({
  id: 'chatcmpl-mock',
  object: 'chat.completion',
  created: 0,
  model: 'mock',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Paris is the capital of France.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 14, completion_tokens: 7, total_tokens: 21 },
});
const STREAM = ['Paris', ' is', ' the', ' capital', '.']
  .map((content) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`)
  .concat(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`, 'data: [DONE]\n\n');

export async function startMockUpstream(initial: MockUpstreamBehaviour = {}): Promise<MockUpstream> {
  let behaviour = initial;
  const hanging = new Map<ServerResponse, { request: IncomingMessage; body: string }>();
  const state = { requests: 0 };
  const answer = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    if (behaviour.failStatus) {
      response
        .writeHead(behaviour.failStatus, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'mock failure', type: 'server_error' } }));
      return;
    }
    if (body.includes('"stream":true')) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of STREAM) response.write(event);
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(MOCK_ANSWER) }).end(MOCK_ANSWER);
  };
  const server: Server = createServer((request, response) => {
    // The gateway's health checks ask for the model list; they are not requests to the model.
    if (request.method === 'GET' && request.url === '/v1/models') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'mock', object: 'model' }] }));
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      if (behaviour.hang) {
        hanging.set(response, { request, body });
        return;
      }
      if (behaviour.delayMs) setTimeout(() => answer(request, response, body), behaviour.delayMs);
      else answer(request, response, body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    behave(next) {
      behaviour = next;
    },
    release() {
      for (const [response, held] of hanging) answer(held.request, response, held.body);
      hanging.clear();
    },
    async close() {
      for (const response of hanging.keys()) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
