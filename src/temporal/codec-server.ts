// A codec server (Temporal's remote codec protocol): POST …/decode and …/encode with a Payloads
// object as protobuf JSON. The Temporal Web UI and `temporal --codec-endpoint` send encrypted
// payloads here and show the plain ones. It listens on loopback only, and answers browsers only from
// the Web UI's origin: whoever can reach it can read every rollout's payloads.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';

interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: metadata ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : {},
    data: data ? Buffer.from(data, 'base64') : undefined,
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: metadata ? Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) : {},
    data: data ? Buffer.from(data).toString('base64') : undefined,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  response.statusCode = status;
  if (body === undefined) return void response.end();
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(body));
}

export function createCodecServer(codec: PayloadCodec, allowedOrigin: string): Server {
  return createServer((request, response) => {
    if (request.headers.origin === allowedOrigin) {
      response.setHeader('access-control-allow-origin', allowedOrigin);
      response.setHeader('access-control-allow-credentials', 'true');
      response.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      response.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    } else if (request.headers.origin !== undefined) {
      return send(response, 403, { message: `origin ${request.headers.origin} is not allowed` });
    }
    if (request.method === 'OPTIONS') return send(response, 204);
    // The protocol names the operation by the last part of the path only.
    const operation = (request.url ?? '').split('?')[0]?.split('/').pop();
    if (request.method !== 'POST' || (operation !== 'encode' && operation !== 'decode')) {
      return send(response, 404, { message: 'POST …/encode or …/decode' });
    }
    void (async () => {
      let payloads: Payload[];
      try {
        const body = JSON.parse(await readBody(request)) as { payloads?: JsonPayload[] };
        payloads = (body.payloads ?? []).map(fromJson);
      } catch (error) {
        return send(response, 400, { message: `a Payloads object as JSON is required: ${(error as Error).message}` });
      }
      try {
        const result = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
        send(response, 200, { payloads: result.map(toJson) });
      } catch (error) {
        send(response, 422, { message: (error as Error).message });
      }
    })();
  });
}
