// Shadow pairs: the stable and the candidate answers to the same request, which the evaluation
// scores. The embedded store appends JSON lines to one file per day and fsyncs in batches, so a
// burst of pairs costs one disk sync, not one each.
import { mkdirSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface PairSide {
  status: number;
  latencyMs: number;
  /** time to the first streamed chunk; null for an answer that was not streamed */
  ttftMs: number | null;
  answer: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  error?: string;
}

export interface ShadowPair {
  requestId: string;
  time: string;
  route: string;
  prompt: string;
  stable: PairSide;
  candidate: PairSide;
}

export interface PairStore {
  append(pair: ShadowPair): void;
  recent(route: string, limit: number): ShadowPair[];
  close(): Promise<void>;
}

const FLUSH_INTERVAL_MS = 200;

export class JsonlPairStore implements PairStore {
  private pending: ShadowPair[] = [];
  private handle: FileHandle | undefined;
  private handleDay = '';
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.timer = setInterval(() => {
      this.flushing = this.flushing.then(() => this.flush());
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  append(pair: ShadowPair): void {
    this.pending.push(pair);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const pair of batch) {
      const day = pair.time.slice(0, 10);
      if (!this.handle || day !== this.handleDay) {
        await this.handle?.close();
        this.handle = await open(join(this.dir, `pairs-${day}.jsonl`), 'a');
        this.handleDay = day;
      }
      await this.handle.write(`${JSON.stringify(pair)}\n`);
    }
    await this.handle?.datasync();
  }

  recent(route: string, limit: number): ShadowPair[] {
    if (!existsSync(this.dir)) return [];
    const files = readdirSync(this.dir).filter((f) => f.startsWith('pairs-')).sort().reverse();
    const found: ShadowPair[] = [];
    for (const file of files) {
      const lines = readFileSync(join(this.dir, file), 'utf8').trim().split('\n').reverse();
      for (const line of lines) {
        if (!line) continue;
        const pair = JSON.parse(line) as ShadowPair;
        if (pair.route === route) found.push(pair);
        if (found.length >= limit) return found;
      }
    }
    return found;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
    await this.handle?.close();
  }
}
