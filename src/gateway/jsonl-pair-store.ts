// The embedded pair store: JSON lines appended to files rotated by day and by size, synced to disk
// in batches (a burst of pairs costs one datasync, not one each), with files older than the
// retention deleted. A pair's append() resolves only after the sync that covers it, so a pair
// acknowledged as written survives the gateway being killed.
import { chmodSync, mkdirSync } from 'node:fs';
import { open, readFile, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PairPage, PairRange, PairStore, ShadowPair } from './pair-store';
import { expiredPairFiles, latestFileOf, pairFileName, pairFiles } from './pair-files';
import { BatchedWrites } from './batched-writes';

export interface JsonlPairStoreOptions {
  dir: string;
  /** a day's file is closed and the next one started once it would grow past this */
  maxFileBytes: number;
  retentionDays: number;
  flushIntervalMs?: number;
  now?: () => Date;
}

interface PairLine {
  line: string;
  bytes: number;
  day: string;
}

interface OpenFile {
  handle: FileHandle;
  day: string;
  seq: number;
  bytes: number;
}

export class JsonlPairStore implements PairStore {
  private file: OpenFile | undefined;
  private readonly writes: BatchedWrites<PairLine>;
  private readonly now: () => Date;

  constructor(private readonly options: JsonlPairStoreOptions) {
    // Pairs hold users' prompts and answers: the folder and its files are the owner's only.
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    chmodSync(options.dir, 0o700);
    this.now = options.now ?? (() => new Date());
    this.writes = new BatchedWrites({
      writeBatch: (lines) => this.writeLines(lines),
      intervalMs: options.flushIntervalMs ?? 100,
      sweep: () => this.sweep(),
    });
  }

  append(pair: ShadowPair): Promise<void> {
    const line = `${JSON.stringify(pair)}\n`;
    return this.writes.add({ line, bytes: Buffer.byteLength(line), day: pair.time.slice(0, 10) });
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

  /**
   * Reads on from a cursor (`<file>:<byte offset>`) through the files in order. Only whole lines are
   * read past: a line still being written, or a pair recorded at or after `untilMs`, stays for the
   * next call. Other routes' and rollouts' pairs are passed over.
   */
  async range(range: PairRange): Promise<PairPage> {
    const cursor = parseCursor(range.after);
    const files = pairFiles(await readdir(this.options.dir)).filter((f) => !cursor || f.name >= cursor.file);
    const pairs: ShadowPair[] = [];
    let next = range.after;
    for (const file of files) {
      const from = cursor && file.name === cursor.file ? cursor.offset : 0;
      const text = await readFrom(join(this.options.dir, file.name), from);
      let position = 0; // in characters of `text`
      let bytes = from; // the same place, in bytes of the file
      for (;;) {
        const end = text.indexOf('\n', position);
        if (end < 0) break; // the rest is not a whole line yet
        const line = text.slice(position, end);
        const pair = parsePair(line);
        if (pair && range.untilMs !== undefined && Date.parse(pair.time) >= range.untilMs) return { pairs, next };
        position = end + 1;
        bytes += Buffer.byteLength(line) + 1;
        next = formatCursor(file.name, bytes);
        if (pair?.route === range.route && pair.rolloutId === range.rolloutId) pairs.push(pair);
        if (pairs.length >= range.limit) return { pairs, next };
      }
    }
    return { pairs, next };
  }

  async close(): Promise<void> {
    await this.writes.drain();
    await this.file?.handle.close();
    this.file = undefined;
  }

  /** Appends a batch to the files (a new one on a new day or past the size) and syncs it. */
  private async writeLines(lines: PairLine[]): Promise<void> {
    try {
      let text = '';
      for (const pair of lines) {
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
    } catch (error) {
      // The next batch starts on a freshly opened file, its torn last line ended first.
      await this.file?.handle.close().catch(() => undefined);
      this.file = undefined;
      throw error;
    }
  }

  private async write(text: string): Promise<void> {
    if (text && this.file) await writeFully(this.file.handle, text);
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
    const handle = await open(join(this.options.dir, pairFileName(day, seq)), 'a+', 0o600);
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

/**
 * Writes all of `text`, or throws. A write may take fewer bytes than it was given (a disk filling
 * up takes what fits, and only the next write fails with ENOSPC): taken as done, the batch's last
 * pairs would be acknowledged as written without being on disk.
 */
export async function writeFully(handle: Pick<FileHandle, 'write'>, text: string): Promise<void> {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    if (bytesWritten <= 0) throw new Error(`the pair file took no bytes (${buffer.length - offset} left to write)`);
    offset += bytesWritten;
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

interface Cursor {
  file: string;
  offset: number;
}

function parseCursor(text: string | null): Cursor | undefined {
  if (!text) return undefined;
  const at = text.lastIndexOf(':');
  const offset = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(offset) || offset < 0) throw new Error(`not a pair cursor: ${text}`);
  return { file: text.slice(0, at), offset };
}

const formatCursor = (file: string, offset: number): string => `${file}:${offset}`;

/** The rest of a file from a byte offset, as text. */
async function readFrom(path: string, offset: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size <= offset) return '';
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

function parsePair(line: string): ShadowPair | undefined {
  if (!line) return undefined;
  try {
    return JSON.parse(line) as ShadowPair;
  } catch {
    return undefined; // a line cut off by a crash
  }
}
