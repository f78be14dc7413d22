export { rolloutWorkflow, type RolloutInput, type RolloutResult } from './rollout';
