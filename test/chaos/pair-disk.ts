// A small disk of its own under the gateway's pair store (a tmpfs, mounted before the gateway
// starts), so the chaos suite can fill it up and free it again while a rollout records pairs.
// Mounting needs root; without it there is no such disk, and the suite says so.
import { mkdirSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

const FILLER = 'chaos-filler';

export class PairDisk {
  private constructor(readonly dir: string) {}

  /** Mounts a tmpfs of `sizeMb` on `dir`; the reason, when this machine cannot. */
  static async mount(dir: string, sizeMb: number): Promise<PairDisk | string> {
    if (process.getuid?.() !== 0) return 'mounting a small disk for the pair store needs root';
    mkdirSync(dir, { recursive: true });
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'gantry-chaos-pairs', dir], { reject: false });
    if (mounted.exitCode !== 0) return `mount failed: ${String(mounted.stderr).trim()}`;
    return new PairDisk(dir);
  }

  /** Writes a filler file until the disk refuses (ENOSPC); returns the bytes it took. */
  fill(): number {
    const fd = openSync(join(this.dir, FILLER), 'w');
    const chunk = Buffer.alloc(1 << 16);
    let bytes = 0;
    try {
      for (;;) bytes += writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  free(): void {
    rmSync(join(this.dir, FILLER), { force: true });
  }

  /** After the gateway has stopped: the mount point is busy while it holds a pair file open. */
  async unmount(): Promise<void> {
    this.free();
    await execa('umount', [this.dir], { reject: false });
  }
}
