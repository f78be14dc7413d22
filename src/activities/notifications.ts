// Webhook notifications: JSON, or a Slack-compatible body. A failed delivery throws, so Temporal
// retries it with backoff; the workflow never waits on it longer than those retries.
import { request } from 'undici';
import { webhookLabel, type Webhook } from '../config/spec';
import { webhookUrl } from './secrets';

export interface NotificationPayload {
  rolloutId: string;
  route: string;
  event: string;
  level: string;
  phase: string;
  step: number;
  weight: number;
  message: string;
  link: string | null;
  at: string;
}

const SLACK_COLOR: Record<string, string> = { INFO: '#2eb67d', WARNING: '#ecb22e', CRITICAL: '#e01e5a', EMERGENCY: '#8b0000' };

export function slackBody(payload: NotificationPayload): Record<string, unknown> {
  return {
    text: `[${payload.level}] Gantry rollout ${payload.rolloutId} (${payload.route}): ${payload.event} — ${payload.message}`,
    attachments: [
      {
        color: SLACK_COLOR[payload.level] ?? '#cccccc',
        title: `${payload.rolloutId}: ${payload.event}`,
        title_link: payload.link ?? undefined,
        text: payload.message,
        fields: [
          { title: 'phase', value: payload.phase, short: true },
          { title: 'weight', value: `${payload.weight}%`, short: true },
        ],
        ts: Math.floor(Date.parse(payload.at) / 1000),
      },
    ],
  };
}

export function createNotificationActivities(deps: { timeoutMs: number }) {
  async function sendNotification(input: { webhook: Webhook; payload: NotificationPayload }): Promise<{ status: number }> {
    const body = input.webhook.format === 'slack' ? slackBody(input.payload) : input.payload;
    const response = await request(webhookUrl(input.webhook), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'gantry' },
      body: JSON.stringify(body),
      headersTimeout: deps.timeoutMs,
      bodyTimeout: deps.timeoutMs,
    });
    await response.body.dump();
    if (response.statusCode >= 300) throw new Error(`webhook ${webhookLabel(input.webhook)} answered ${response.statusCode}`);
    return { status: response.statusCode };
  }
  return { sendNotification };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
