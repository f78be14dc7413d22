// The embedded pair store: JSON lines appended to files rotated by day and by size, synced to disk
// in batches (a burst of pairs costs one datasync, not one each), with files older than the
// retention deleted. A pair's append() resolves only after the sync that covers it, so a pair
// acknowledged as written survives the gateway being killed.
import { mkdirSync } from 'node:fs';
import { open, readFile, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PairStore, ShadowPair } from './pair-store';
import { expiredPairFiles, latestFileOf, pairFileName, pairFiles } from './pair-files';

export interface JsonlPairStoreOptions {
  dir: string;
  /** a day's file is closed and the next one started once it would grow past this */
  maxFileBytes: number;
  retentionDays: number;
  flushIntervalMs?: number;
  now?: () => Date;
}

interface PendingPair {
  line: string;
  bytes: number;
  day: string;
  written: () => void;
  failed: (error: Error) => void;
}

interface OpenFile {
  handle: FileHandle;
  day: string;
  seq: number;
  bytes: number;
}

const RETENTION_SWEEP_MS = 3_600_000;

export class JsonlPairStore implements PairStore {
  private pending: PendingPair[] = [];
  private file: OpenFile | undefined;
  private queue: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly now: () => Date;

  constructor(private readonly options: JsonlPairStoreOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.now = options.now ?? (() => new Date());
    this.sweepTimer = setInterval(() => this.enqueue(() => this.sweep()), RETENTION_SWEEP_MS);
    this.sweepTimer.unref();
    this.enqueue(() => this.sweep());
  }

  append(pair: ShadowPair): Promise<void> {
    const line = `${JSON.stringify(pair)}\n`;
    return new Promise((written, failed) => {
      this.pending.push({ line, bytes: Buffer.byteLength(line), day: pair.time.slice(0, 10), written, failed });
      this.scheduleFlush();
    });
  }

  async recent(route: string, limit: number): Promise<ShadowPair[]> {
    const found: ShadowPair[] = [];
    for (const file of pairFiles(await readdir(this.options.dir)).reverse()) {
      const lines = (await readFile(join(this.options.dir, file.name), 'utf8')).split('\n').reverse();
      for (const line of lines) {
        const pair = parsePair(line);
        if (pair?.route === route) found.push(pair);
        if (found.length >= limit) return found;
      }
    }
    return found;
  }

  async close(): Promise<void> {
    clearTimeout(this.flushTimer);
    clearInterval(this.sweepTimer);
    this.enqueue(() => this.flush());
    await this.queue;
    await this.file?.handle.close();
    this.file = undefined;
  }

  /**
   * File work runs one step at a time, in order. flush() reports its own failures to the pairs'
   * appenders; a failed retention sweep is tried again at the next one.
   */
  /** One flush per interval collects every pair appended meanwhile (the batch). */
  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.enqueue(() => this.flush());
    }, this.options.flushIntervalMs ?? 100);
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      let text = '';
      for (const pair of batch) {
        if (!this.file || this.file.day !== pair.day || (this.file.bytes > 0 && this.file.bytes + pair.bytes > this.options.maxFileBytes)) {
          await this.write(text);
          text = '';
          await this.openNext(pair.day, pair.bytes);
        }
        text += pair.line;
        if (this.file) this.file.bytes += pair.bytes;
      }
      await this.write(text);
      await this.file?.handle.datasync();
      for (const pair of batch) pair.written();
    } catch (error) {
      await this.file?.handle.close().catch(() => undefined);
      this.file = undefined;
      for (const pair of batch) pair.failed(error as Error);
    }
  }

  private async write(text: string): Promise<void> {
    if (text && this.file) await this.file.handle.write(text);
  }

  /** Syncs and closes the current file and opens the one the next pair belongs in. */
  private async openNext(day: string, nextBytes: number): Promise<void> {
    if (this.file) {
      await this.file.handle.datasync();
      await this.file.handle.close();
    }
    const previous = this.file;
    this.file = undefined;
    let seq = 0;
    let bytes = 0;
    if (previous?.day === day) seq = previous.seq + 1;
    else {
      const latest = latestFileOf(pairFiles(await readdir(this.options.dir)), day);
      if (latest) {
        const size = (await stat(join(this.options.dir, latest.name))).size;
        if (size + nextBytes <= this.options.maxFileBytes) [seq, bytes] = [latest.seq, size];
        else seq = latest.seq + 1;
      }
    }
    const handle = await open(join(this.options.dir, pairFileName(day, seq)), 'a+');
    if (bytes > 0) bytes += await endWithNewline(handle, bytes);
    this.file = { handle, day, seq, bytes };
  }

  private async sweep(): Promise<void> {
    const files = pairFiles(await readdir(this.options.dir));
    for (const file of expiredPairFiles(files, this.now(), this.options.retentionDays)) {
      await unlink(join(this.options.dir, file.name)).catch(() => undefined);
    }
  }
}

/** A file cut off mid-line (the gateway killed mid-write) gets its line ended before new pairs. */
async function endWithNewline(handle: FileHandle, size: number): Promise<number> {
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return 0;
  await handle.write('\n');
  return 1;
}

function parsePair(line: string): ShadowPair | undefined {
  if (!line) return undefined;
  try {
    return JSON.parse(line) as ShadowPair;
  } catch {
    return undefined; // a line cut off by a crash
  }
}
