// A long-running tool's output, read line by line as it comes (for progress), keeping its last
// lines for the error message when it fails.
import type { Readable } from 'node:stream';

export class ToolOutput {
  private readonly last: string[] = [];
  private partial = '';

  constructor(
    stream: Readable | undefined,
    onLine: (line: string) => void,
    private readonly keep = 15,
  ) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        this.last.push(line);
        if (this.last.length > this.keep) this.last.shift();
        onLine(line);
      }
    });
  }

  /** the last `count` non-empty lines, joined for a one-line message */
  tail(count: number): string {
    return this.last.filter(Boolean).slice(-count).join(' | ');
  }
}
