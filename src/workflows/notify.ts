// Notifications from inside the workflow: one activity per webhook, never awaited, failures
// swallowed after the activity's own retries: a webhook that is down never blocks the rollout.
import { log } from '@temporalio/workflow';
import type { AlertLevel, NotificationEvent } from '../config/spec';
import { notifications } from './activity-proxies';
import type { RolloutContext } from './rollout-context';

const LEVELS: AlertLevel[] = ['INFO', 'WARNING', 'CRITICAL', 'EMERGENCY'];

/** Starts the deliveries; the promise settles (never rejects) once all are delivered or given up. */
export function notify(ctx: RolloutContext, event: NotificationEvent, level: AlertLevel, message: string): Promise<void> {
  const { status, spec } = ctx;
  const deliveries: Promise<unknown>[] = [];
  for (const webhook of spec.notifications.webhooks) {
    if (webhook.events && !webhook.events.includes(event)) continue;
    if (LEVELS.indexOf(level) < LEVELS.indexOf(webhook.minLevel)) continue;
    const payload = {
      rolloutId: status.rolloutId,
      route: status.route,
      event,
      level,
      phase: status.phase,
      step: status.step,
      weight: status.weight,
      message,
      link: ctx.input.link ?? null,
      at: new Date(Date.now()).toISOString(),
    };
    deliveries.push(
      notifications.sendNotification({ webhook, payload }).catch((error: unknown) => {
        log.warn('notification not delivered', { url: webhook.url, event, error: String(error) });
      }),
    );
  }
  return Promise.all(deliveries).then(() => undefined);
}
