// A Prometheus counter for the request path: an increment adds to a number held under its label
// values, and prom-client is handed the totals only when /metrics is scraped. prom-client validates
// and hashes the labels on every inc(), a per-request cost the gateway need not pay.
import { Counter, type Registry } from 'prom-client';

interface Total<L extends string> {
  labels: Record<L, string>;
  value: number;
}

export class BatchedCounter<L extends string> {
  private readonly totals = new Map<string, Total<L>>();

  constructor(private readonly options: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    const totals = this.totals;
    new Counter<L>({
      ...options,
      collect() {
        this.reset();
        for (const total of totals.values()) this.inc(total.labels, total.value);
      },
    });
  }

  /** `values` in the order of labelNames. */
  inc(values: readonly string[], by = 1): void {
    const key = values.join('\u0001');
    const total = this.totals.get(key);
    if (total) {
      total.value += by;
      return;
    }
    const labels = Object.fromEntries(this.options.labelNames.map((name, i) => [name, values[i] ?? ''])) as Record<L, string>;
    this.totals.set(key, { labels, value: by });
  }
}
