// The plain Node reference proxy: @fastify/http-proxy (undici underneath) in front of the same
// upstream, nothing else. Run as its own process by bench/gateway.ts:
//   node --import tsx bench/gateway/fastify-proxy.ts <port> <upstream-url>
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) throw new Error('usage: fastify-proxy.ts <port> <upstream-url>');
const app = Fastify({ logger: false });
await app.register(proxy, { upstream });
await app.listen({ host: '127.0.0.1', port: Number(port) });
