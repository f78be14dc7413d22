// Reads and discards what is left of a request body that will not be used, so that the answer to
// it reaches the client instead of a connection reset. Bounded: a client that keeps sending past the
// limits is answered (and cut off) anyway.
import type { IncomingMessage } from 'node:http';

const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const MAX_DRAIN_MS = 10_000;

export function drainRequest(request: IncomingMessage, maxBytes = MAX_DRAIN_BYTES, maxMs = MAX_DRAIN_MS): Promise<void> {
  if (request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = (): void => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', done);
      request.off('close', done);
      request.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    request.on('data', onData);
    request.once('end', done);
    request.once('close', done);
    request.once('error', done);
    request.resume();
  });
}
