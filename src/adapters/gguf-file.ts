// Checks that a file is a GGUF model before it is served: magic, version, size and sha256.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export interface GgufInfo {
  path: string;
  version: number;
  sizeBytes: number;
  sha256: string;
}

export class GgufError extends Error {
  constructor(
    readonly kind: 'missing' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

const MAGIC = 'GGUF';
const MIN_SIZE = 24; // magic + version + tensor count + metadata count

export async function readGgufHeader(path: string): Promise<{ version: number; sizeBytes: number }> {
  let sizeBytes: number;
  try {
    sizeBytes = (await stat(path)).size;
  } catch {
    throw new GgufError('missing', `model file not found: ${path}`);
  }
  if (sizeBytes < MIN_SIZE) throw new GgufError('invalid', `${path} is not a GGUF model (${sizeBytes} bytes)`);
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(8);
    await handle.read(header, 0, 8, 0);
    if (header.subarray(0, 4).toString('latin1') !== MAGIC) {
      throw new GgufError('invalid', `${path} is not a GGUF model (bad magic ${JSON.stringify(header.subarray(0, 4).toString('latin1'))})`);
    }
    const version = header.readUInt32LE(4);
    if (version < 2 || version > 3) throw new GgufError('invalid', `${path}: unsupported GGUF version ${version}`);
    return { version, sizeBytes };
  } finally {
    await handle.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  // 4 MiB reads: with the default 64 KiB, a model file took twice as long to hash.
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function inspectGguf(path: string): Promise<GgufInfo> {
  const { version, sizeBytes } = await readGgufHeader(path);
  return { path, version, sizeBytes, sha256: await sha256File(path) };
}
