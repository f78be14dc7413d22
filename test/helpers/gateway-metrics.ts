// One series' value from the gateway's /metrics (Prometheus text), for tests and benchmarks.
import { request } from 'undici';

/** `series` as the text shows it, labels included: `name{label="value",…}`; undefined when absent. */
export async function metricValue(gatewayUrl: string, series: string): Promise<number | undefined> {
  const text = await (await request(`${gatewayUrl}/metrics`)).body.text();
  const escaped = series.replace(/[{}"]/g, (c) => `\\${c}`);
  const value = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}
