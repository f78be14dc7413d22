export { rolloutWorkflow, type RolloutInput, type RolloutResult } from './rollout';
export { scheduledAdvanceWorkflow, type ScheduledAdvanceInput } from './scheduled-advance';
