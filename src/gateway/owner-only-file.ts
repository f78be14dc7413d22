// The gateway's state files (routes with upstream keys, client key hashes, stable history) are the
// owner's only, and replaced whole: written to a temp file and renamed over the old one, so a crash
// mid-write leaves the previous contents intact.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeJsonOwnerOnly(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600); // a leftover tmp file from an older release keeps its mode otherwise
  renameSync(tmp, file);
}
