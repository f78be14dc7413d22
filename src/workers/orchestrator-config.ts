import { z } from 'zod';
import { temporalEnvSchema } from '../temporal/connection-config';

export const orchestratorConfigSchema = temporalEnvSchema.extend({
  GANTRY_GATEWAY_URL: z.url().default('http://127.0.0.1:8400'),
  GANTRY_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  /** per-pair scores, judge audits and eval answers, per rollout */
  GANTRY_ORCHESTRATOR_DATA_DIR: z.string().default('.gantry/orchestrator'),
});
export type OrchestratorConfig = z.output<typeof orchestratorConfigSchema>;
