// State files are replaced whole: written to a temporary file (named per process, so two writers
// never share one) and renamed over the old one. A crash mid-write leaves the previous contents, and
// a reader — Prometheus re-reading its targets, another host's activity — never sees half a file.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function replaceJsonFile(file: string, value: unknown, options: { ownerOnly?: boolean } = {}): void {
  const mode = options.ownerOnly ? 0o600 : undefined;
  mkdirSync(dirname(file), { recursive: true, ...(options.ownerOnly ? { mode: 0o700 } : {}) });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, mode === undefined ? {} : { mode });
  if (mode !== undefined) chmodSync(tmp, mode); // the umask may have taken bits away
  renameSync(tmp, file);
}
