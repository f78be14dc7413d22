// Notifications from inside the workflow: one activity per webhook, never awaited, failures
// swallowed after the activity's own retries: a webhook that is down never blocks the rollout.
import { CancellationScope, log } from '@temporalio/workflow';
import { webhookLabel, type AlertLevel, type NotificationEvent } from '../config/spec';
import { notifications } from './activity-proxies';
import type { RolloutContext } from './rollout-context';
import { phaseOf } from './state/rollout-state';
import { onRelease2 } from './release';

const LEVELS: AlertLevel[] = ['INFO', 'WARNING', 'CRITICAL', 'EMERGENCY'];

/**
 * Starts the deliveries; the promise settles (never rejects) once all are delivered or given up.
 * Deliveries are not cancelled with the pipeline (release 2): a rollback must not race a webhook
 * that is just completing, and the alert about the rollback should go out anyway.
 */
export function notify(ctx: RolloutContext, event: NotificationEvent, level: AlertLevel, message: string): Promise<void> {
  const { spec } = ctx;
  const detached = onRelease2();
  const state = ctx.rollout.state;
  const deliveries: Promise<unknown>[] = [];
  for (const webhook of spec.notifications.webhooks) {
    if (webhook.events && !webhook.events.includes(event)) continue;
    if (LEVELS.indexOf(level) < LEVELS.indexOf(webhook.minLevel)) continue;
    const payload = {
      rolloutId: state.rolloutId,
      route: state.route,
      event,
      level,
      phase: phaseOf(state),
      step: state.step,
      weight: state.weight,
      message,
      link: ctx.input.link ?? null,
      at: new Date(Date.now()).toISOString(),
    };
    const send = (): Promise<unknown> => notifications.sendNotification({ webhook, payload });
    deliveries.push(
      (detached ? CancellationScope.nonCancellable(send) : send()).catch((error: unknown) => {
        log.warn('notification not delivered', { webhook: webhookLabel(webhook), event, error: String(error) });
      }),
    );
  }
  return Promise.all(deliveries).then(() => undefined);
}
