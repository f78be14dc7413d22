// nginx from Debian, as the benchmark's fast mock upstream (a fixed JSON answer) and as the
// near-limit reference proxy (upstream keep-alive). One worker each: the machine has 2 cores,
// shared by the load generator, the proxy under test and the upstream.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import { toolPath } from '../../src/config/toolchain';

export interface Nginx {
  url: string;
  stop(): Promise<void>;
}

function config(dir: string, port: number, server: string): string {
  return `
${userInfo().uid === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  ${server}
}
`;
}

async function start(dir: string, port: number, server: string): Promise<Nginx> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config(dir, port, server));
  const child: ResultPromise = execa(toolPath('nginx'), ['-c', file, '-p', dir], { reject: false });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`${url}/healthz`);
      return {
        url,
        async stop() {
          child.kill('SIGQUIT');
          await child;
        },
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not start: ${String((await child).stderr)}`);
}

/** Answers every request with `answer` as JSON. */
export function startNginxMockUpstream(dir: string, port: number, answer: string): Promise<Nginx> {
  const escaped = answer.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return start(dir, port, `server { listen 127.0.0.1:${port}; location / { default_type application/json; return 200 '${escaped}'; } }`);
}

/** Proxies everything to `upstream` over pooled keep-alive connections. */
export function startNginxProxy(dir: string, port: number, upstream: string): Promise<Nginx> {
  const target = new URL(upstream);
  return start(
    dir,
    port,
    `upstream backend { server ${target.host}; keepalive 64; }
     server {
       listen 127.0.0.1:${port};
       location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering on; }
     }`,
  );
}
