import { z } from 'zod';
import { temporalEnvSchema } from '../temporal/connection-config';

export const orchestratorConfigSchema = temporalEnvSchema
  .extend({
    GANTRY_GATEWAY_URL: z.url().default('http://127.0.0.1:8400'),
    GANTRY_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    /** per-pair scores, judge audits and eval answers, per rollout */
    GANTRY_ORCHESTRATOR_DATA_DIR: z.string().default('.gantry/orchestrator'),
    /** the PostgreSQL pair store's database, set for the gateway: the interval record goes there too */
    GANTRY_PAIR_STORE_URL: z.string().url('must be a postgres:// URL').optional(),
    /** where the analysis reads traffic: the gateway's own window statistics, or a Prometheus that scrapes it */
    GANTRY_METRIC_PROVIDER: z.enum(['gateway', 'prometheus']).default('gateway'),
    GANTRY_PROMETHEUS_URL: z.url().optional(),
    /** the scrape job that reads the gateway */
    GANTRY_PROMETHEUS_JOB: z.string().min(1).default('gantry-gateway'),
    /** where the orchestrator serves its rollouts' gauges (running, paused since) to Prometheus; unset: not served */
    GANTRY_ORCHESTRATOR_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    GANTRY_ORCHESTRATOR_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** evaluation requests (eval set, likelihood judge) to a route's stable in flight at once from this worker: its slots serve users too */
    GANTRY_EVAL_STABLE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  })
  .superRefine((config, ctx) => {
    if (config.GANTRY_METRIC_PROVIDER === 'prometheus' && !config.GANTRY_PROMETHEUS_URL)
      ctx.addIssue({ code: 'custom', path: ['GANTRY_PROMETHEUS_URL'], message: 'is required when GANTRY_METRIC_PROVIDER is prometheus' });
  });
export type OrchestratorConfig = z.output<typeof orchestratorConfigSchema>;
