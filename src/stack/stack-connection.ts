// The Temporal connection settings of the embedded stack: its address and Web UI, unless the
// usual TEMPORAL_* variables point elsewhere.
import { temporalEnvSchema, type TemporalEnv } from '../temporal/connection-config';
import { temporalAddress, temporalUi, type StackConfig } from './stack-config';

export function temporalEnvFor(config: StackConfig): TemporalEnv {
  return temporalEnvSchema.parse({ ...process.env, TEMPORAL_ADDRESS: temporalAddress(config), GANTRY_TEMPORAL_UI: temporalUi(config) });
}
