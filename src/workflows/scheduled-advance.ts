// Started by a Temporal Schedule: sends `advance` to a rollout as a schedule, which the rollout
// accepts only for steps whose policy is `advance: schedule`.
import { getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { advanceSignal } from './messages';

export interface ScheduledAdvanceInput {
  rolloutId: string;
  scheduleId: string;
}

export async function scheduledAdvanceWorkflow(input: ScheduledAdvanceInput): Promise<string> {
  try {
    await getExternalWorkflowHandle(input.rolloutId).signal(advanceSignal, {
      by: `schedule:${input.scheduleId}`,
      source: 'schedule',
      requestId: workflowInfo().workflowId,
    });
    return `advance sent to ${input.rolloutId}`;
  } catch (error) {
    // The rollout ended between two firings; its schedules are being removed.
    log.warn('scheduled advance not delivered', { rolloutId: input.rolloutId, error: String(error) });
    return `${input.rolloutId} is not running`;
  }
}
