import { z } from 'zod';
import { temporalEnvSchema } from '../temporal/connection-config';

export const hostAgentConfigSchema = temporalEnvSchema.extend({
  GANTRY_HOST_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes')
    .default('local'),
  GANTRY_HOST_DATA_DIR: z.string().optional(),
  /** how often the agent looks for model servers that died on their own; 0: never (they stay down) */
  GANTRY_HOST_CRASH_CHECK_MS: z.coerce.number().int().min(0).default(2_000),
  /** revivals of one deployment allowed within 10 minutes before it is left down as crash-looping */
  GANTRY_HOST_CRASH_LIMIT: z.coerce.number().int().min(0).default(3),
});
