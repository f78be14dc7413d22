import { z } from 'zod';
import { temporalEnvSchema } from '../temporal/connection-config';

export const hostAgentConfigSchema = temporalEnvSchema.extend({
  GANTRY_HOST_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes')
    .default('local'),
  GANTRY_HOST_DATA_DIR: z.string().optional(),
});
