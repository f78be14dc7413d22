// Appends grouped into batches, written one batch at a time and in order: an item's promise
// resolves once the batch holding it has been written (and made durable) by the store's writer,
// and rejects with the writer's error. One flush per interval collects every item added meanwhile,
// so a burst of pairs costs one sync or one INSERT. The store's retention sweep runs in the same
// line — at start and then periodically — so it never overlaps a write.
interface Pending<T> {
  item: T;
  written: () => void;
  failed: (error: Error) => void;
}

export interface BatchedWritesOptions<T> {
  /** writes (and makes durable) one batch; throws to fail every item in it */
  writeBatch: (items: T[]) => Promise<void>;
  intervalMs: number;
  /** deletes what is past retention; a failed sweep is tried again at the next one */
  sweep: () => Promise<void>;
  /** hourly unless told */
  sweepEveryMs?: number;
}

const HOUR_MS = 3_600_000;

export class BatchedWrites<T> {
  private pending: Pending<T>[] = [];
  private line: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly options: BatchedWritesOptions<T>) {
    this.run(options.sweep);
    this.sweepTimer = setInterval(() => this.run(options.sweep), options.sweepEveryMs ?? HOUR_MS);
    this.sweepTimer.unref();
  }

  add(item: T): Promise<void> {
    return new Promise((written, failed) => {
      this.pending.push({ item, written, failed });
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.run(() => this.flush());
      }, this.options.intervalMs);
    });
  }

  /** Runs `step` after everything queued before it; its failure is dropped. */
  private run(step: () => Promise<void>): void {
    this.line = this.line.then(step).catch(() => undefined);
  }

  /** Stops sweeping, writes what is pending now and waits for every queued step. */
  async drain(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.run(() => this.flush());
    await this.line;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.options.writeBatch(batch.map((p) => p.item));
      for (const p of batch) p.written();
    } catch (error) {
      for (const p of batch) p.failed(error as Error);
    }
  }
}
