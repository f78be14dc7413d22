// Appends grouped into batches, written one batch at a time and in order: an item's promise
// resolves once the batch holding it has been written (and made durable) by the store's writer,
// and rejects with the writer's error. One flush per interval collects every item added meanwhile,
// so a burst of pairs costs one sync or one INSERT. Other serial work of the store (retention
// sweeps) runs in the same line, so it never overlaps a write.
interface Pending<T> {
  item: T;
  written: () => void;
  failed: (error: Error) => void;
}

export class BatchedWrites<T> {
  private pending: Pending<T>[] = [];
  private line: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writeBatch: (items: T[]) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((written, failed) => {
      this.pending.push({ item, written, failed });
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.run(() => this.flush());
      }, this.intervalMs);
    });
  }

  /** Runs `step` after everything queued before it; its failure is dropped (a sweep is tried again later). */
  run(step: () => Promise<void>): void {
    this.line = this.line.then(step).catch(() => undefined);
  }

  /** Writes what is pending now and waits for every queued step. */
  async drain(): Promise<void> {
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
      await this.writeBatch(batch.map((p) => p.item));
      for (const p of batch) p.written();
    } catch (error) {
      for (const p of batch) p.failed(error as Error);
    }
  }
}
