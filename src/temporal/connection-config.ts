// Temporal connection settings from the usual TEMPORAL_* variables, so the same binaries talk to
// the embedded dev server, a self-hosted cluster or Temporal Cloud.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const temporalEnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  /** base URL of the Temporal Web UI, for links in CLI output */
  GANTRY_TEMPORAL_UI: z.string().default('http://127.0.0.1:8233'),
  /** 32 bytes in base64: when set, every payload is AES-GCM encrypted before it reaches Temporal */
  GANTRY_PAYLOAD_KEY: z.string().optional(),
});
export type TemporalEnv = z.output<typeof temporalEnvSchema>;

/** Accepted by both the client's Connection and the worker's NativeConnection. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: boolean | { clientCertPair: { crt: Buffer; key: Buffer } };
  apiKey?: string;
}

export function connectionOptions(env: TemporalEnv): TemporalConnectionOptions {
  const tls =
    env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY
      ? { clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) } }
      : env.TEMPORAL_API_KEY
        ? true
        : undefined;
  return { address: env.TEMPORAL_ADDRESS, tls, apiKey: env.TEMPORAL_API_KEY };
}

export function workflowUiLink(env: TemporalEnv, workflowId: string): string {
  return `${env.GANTRY_TEMPORAL_UI}/namespaces/${env.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`;
}
