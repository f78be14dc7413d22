// The gantry CLI. Errors end as one line naming the problem and an exit code that means something.
import { Command } from 'commander';
import { registerDevCommands } from './dev/commands';
import { registerRolloutCommands } from './rollout/commands';
import { registerTrafficCommands } from './traffic/replay';
import { registerScheduleCommands } from './schedule/commands';
import { registerQualityCommands } from './quality/commands';
import { registerGatewayCommands } from './gateway/commands';
import { registerRouteCommands } from './route/commands';
import { registerModelCommands } from './model/commands';
import { registerSpecCommands } from './spec/commands';
import { exitCodeFor } from './exit-codes';

const program = new Command('gantry').description('Roll new LLM model versions into production safely, as durable Temporal workflows').showHelpAfterError();
registerDevCommands(program);
registerRolloutCommands(program);
registerTrafficCommands(program);
registerScheduleCommands(program);
registerQualityCommands(program);
registerModelCommands(program);
registerGatewayCommands(program);
registerRouteCommands(program);
registerSpecCommands(program);

/** The SDK's words for a payload it cannot read, in the words of what to do about it. */
function explain(message: string): string {
  if (message.includes('Unknown encoding: binary/encrypted')) return "the rollout's payloads are encrypted: set GANTRY_PAYLOAD_KEY to the key its workers use";
  return message;
}

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`gantry: ${explain(error.message.split('\n')[0] ?? '')}\n`);
  process.exitCode = exitCodeFor(error);
});
