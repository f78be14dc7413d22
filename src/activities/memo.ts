// Results of expensive, deterministic calls kept by key in this worker, the oldest dropped past a
// size: the likelihood judge reads a (prompt, answer) once, however often live traffic repeats it.
// Keys are hashed, so long prompts cost 32 bytes each. A failed call is not kept.
import { createHash } from 'node:crypto';

export class Memo {
  private readonly values = new Map<string, unknown>();

  constructor(private readonly size: number) {}

  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hashed = createHash('sha256').update(key).digest('base64');
    if (this.values.has(hashed)) return this.values.get(hashed) as T;
    const value = await compute();
    this.values.set(hashed, value);
    if (this.values.size > this.size) this.values.delete(this.values.keys().next().value as string);
    return value;
  }
}
