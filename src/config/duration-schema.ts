// A duration in a spec: a human string ("500ms", "30s", "5m", "2h", "7d", "1w") or plain
// milliseconds, always milliseconds once parsed.
import { z } from 'zod';
import { parseDuration } from './duration';

export const duration = z.union([z.string(), z.number().int().nonnegative()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
