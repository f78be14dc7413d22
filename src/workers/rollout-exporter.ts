// The orchestrator's /metrics: its running rollouts, read from Temporal (visibility lists them, the
// status query tells route, phase and pause) at most every `maxAgeMs`, whatever Prometheus's scrape
// interval, so a fast scraper does not turn into a query per rollout per second.
import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { ROLLOUT_WORKFLOW_TYPE, statusQuery } from '../workflows/messages';
import { rolloutExposition, type RolloutGauge, type RolloutSnapshot } from './rollout-gauges';

const RUNNING = `WorkflowType = '${ROLLOUT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;
const QUERY_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class RolloutExporter {
  private snapshot: RolloutSnapshot = { readAtMs: null, ok: false, gauges: [] };
  private refreshing: Promise<void> | undefined;
  private attemptedAtMs = -Infinity;

  constructor(
    private readonly client: () => Promise<Client>,
    private readonly log: (message: string) => void,
    private readonly maxAgeMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last reading, refreshed first when the last try is older than `maxAgeMs`; one refresh at a time. */
  async read(): Promise<RolloutSnapshot> {
    if (this.now() - this.attemptedAtMs >= this.maxAgeMs) await (this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined)));
    return this.snapshot;
  }

  private async refresh(): Promise<void> {
    this.attemptedAtMs = this.now();
    try {
      const client = await this.client();
      const gauges: RolloutGauge[] = [];
      for await (const execution of client.workflow.list({ query: RUNNING })) {
        // A rollout that ended between the listing and the query, or does not answer, is left out.
        const status = await withTimeout(client.workflow.getHandle(execution.workflowId).query(statusQuery), QUERY_TIMEOUT_MS, execution.workflowId).catch(
          (error: unknown) => {
            this.log(`rollout ${execution.workflowId} not read: ${String(error)}`);
            return null;
          },
        );
        if (!status || status.outcome) continue;
        gauges.push({
          rolloutId: status.rolloutId,
          route: status.route,
          phase: status.phase,
          paused: status.paused ? { sinceMs: status.paused.since, by: status.paused.by } : null,
        });
      }
      this.snapshot = { readAtMs: this.now(), ok: true, gauges };
    } catch (error) {
      // Kept: a pause seen last time is still a pause. `gantry_rollouts_read_ok 0` says it is stale.
      this.snapshot = { ...this.snapshot, ok: false };
      this.log(`running rollouts not read: ${String(error)}`);
    }
  }
}

/** Serves GET /metrics; anything else is a 404. */
export function serveRolloutMetrics(exporter: RolloutExporter, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    exporter
      .read()
      .then((snapshot) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(rolloutExposition(snapshot)))
      .catch((error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
