// Naming and retention of the embedded pair store's files, apart from any I/O: one series of files
// per UTC day, `pairs-<day>-<seq>.jsonl`, a new seq when a file reaches its size limit. Files named
// `pairs-<day>.jsonl` (before rotation by size existed) are still read and expired, never appended to.

export interface PairFile {
  name: string;
  day: string;
  seq: number;
}

const PATTERN = /^pairs-(\d{4}-\d{2}-\d{2})(?:-(\d{3,}))?\.jsonl$/;
const LEGACY_SEQ = -1;
const DAY_MS = 86_400_000;

export function pairFileName(day: string, seq: number): string {
  return `pairs-${day}-${String(seq).padStart(3, '0')}.jsonl`;
}

/** The store's files among `names`, oldest first. */
export function pairFiles(names: string[]): PairFile[] {
  const files: PairFile[] = [];
  for (const name of names) {
    const match = PATTERN.exec(name);
    if (match?.[1]) files.push({ name, day: match[1], seq: match[2] ? Number(match[2]) : LEGACY_SEQ });
  }
  return files.sort((a, b) => (a.day === b.day ? a.seq - b.seq : a.day < b.day ? -1 : 1));
}

/** Files whose whole day lies more than `retentionDays` before `now`. */
export function expiredPairFiles(files: PairFile[], now: Date, retentionDays: number): PairFile[] {
  const oldestKept = new Date(now.getTime() - retentionDays * DAY_MS).toISOString().slice(0, 10);
  return files.filter((file) => file.day < oldestKept);
}

/** The newest file of `day` that may be appended to, or undefined when the day has none yet. */
export function latestFileOf(files: PairFile[], day: string): PairFile | undefined {
  return files.filter((file) => file.day === day && file.seq !== LEGACY_SEQ).at(-1);
}
