// How a spec names a secret: an environment variable of the worker that reads it, never one that a
// Gantry process keeps for itself. Pure, so the workflow can check a spec it is handed.
import { z } from 'zod';

/** Variables a Gantry process holds for itself: never sent anywhere a spec chooses. */
const RESERVED = [/^GANTRY_(?!SECRET_)/, /^TEMPORAL_/, /^PG[A-Z]*$/, /^DATABASE_URL$/, /^AWS_/, /^GOOGLE_/, /^AZURE_/];

export function isReservedSecretName(name: string): boolean {
  return RESERVED.some((pattern) => pattern.test(name));
}

export const RESERVED_SECRET_MESSAGE = 'names a variable Gantry keeps for itself (GANTRY_*, TEMPORAL_*, database and cloud credentials): it is never sent';

/** The name of an environment variable (secrets are named in a spec, never written in it). */
export const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
  .refine((name) => !isReservedSecretName(name), { message: RESERVED_SECRET_MESSAGE });
