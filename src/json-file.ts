// State files are replaced whole: written to a temporary file (named per process, so two writers
// never share one), synced, and renamed over the old one, and the folder is synced so the rename
// itself survives power loss. A crash mid-write leaves the previous contents, a reader — Prometheus
// re-reading its targets, another host's activity — never sees half a file, and a revoked key or a
// route change that was acknowledged does not come back, or leave an empty file, after a power cut.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function replaceJsonFile(file: string, value: unknown, options: { ownerOnly?: boolean } = {}): void {
  const mode = options.ownerOnly ? 0o600 : 0o644;
  mkdirSync(dirname(file), { recursive: true, ...(options.ownerOnly ? { mode: 0o700 } : {}) });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (options.ownerOnly) chmodSync(tmp, mode); // the umask may have taken bits away
  renameSync(tmp, file);
  syncFolder(dirname(file));
}

/** Makes a rename or a new file in `folder` durable (its directory entry). */
export function syncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
