// Parses a process's environment with its zod schema; on failure, one line naming the variable.
import type { z } from 'zod';
import { GantryError } from '../errors';

export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv, processName: string): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new GantryError('INVALID_SPEC', `${processName}: ${issue?.path.join('.') ?? 'environment'}: ${issue?.message ?? 'invalid'}`);
}
