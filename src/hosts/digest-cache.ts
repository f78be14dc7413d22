// Digests of source files remembered by path, size, inode and modification time (as git's index
// does), so that a rerun on the same multi-gigabyte source does not read it again. A file rewritten
// in place keeping its size and its nanosecond modification time would be missed; nothing Gantry
// or the tools it runs do writes a source that way.
import { readFileSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { sha256File } from '../adapters/gguf-file';
import { replaceJsonFile } from '../json-file';

interface Entry {
  size: string;
  ino: string;
  mtimeNs: string;
  sha256: string;
}

const stampOf = (stats: BigIntStats): Omit<Entry, 'sha256'> => ({ size: String(stats.size), ino: String(stats.ino), mtimeNs: String(stats.mtimeNs) });
const sameStamp = (a: Omit<Entry, 'sha256'>, b: Omit<Entry, 'sha256'>): boolean => a.size === b.size && a.ino === b.ino && a.mtimeNs === b.mtimeNs;

export class DigestCache {
  constructor(private readonly file: string) {}

  async sha256(path: string): Promise<string> {
    const real = realpathSync(path);
    const before = stampOf(statSync(real, { bigint: true }));
    const known = this.read()[real];
    if (known && sameStamp(known, before)) return known.sha256;
    const sha256 = await sha256File(real);
    // A file that changed while it was read is not remembered.
    if (sameStamp(before, stampOf(statSync(real, { bigint: true })))) this.remember(real, { ...before, sha256 });
    return sha256;
  }

  private read(): Record<string, Entry> {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, Entry>;
    } catch {
      return {}; // none yet, or unreadable: digests are computed again
    }
  }

  /** Read, add, write by rename: two hosts' activities racing lose at most an entry, never the file. */
  private remember(path: string, entry: Entry): void {
    const entries = { ...this.read(), [path]: entry };
    replaceJsonFile(this.file, entries);
  }
}
