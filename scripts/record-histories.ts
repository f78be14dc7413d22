// Records histories of finished rollouts (promoted, rolled back, paused and resumed, judged on
// answer quality) for the replay test, under test/workflows/histories/<release>/. Record a release's
// histories once, when it ships; a later release must replay them all (changes go behind patched()).
// A history added to a release later is recorded alone, by name, leaving the others as they were.
//   npm run record:histories -- [release-2 [name…]]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { teardownEnv, timeSkippingEnv, withWorkers } from '../test/helpers/workflow-env';
import { newWorld, healthyTraffic } from '../test/helpers/fake-activities';
import { weeksLongSpec } from '../test/helpers/specs';
import { command, startRollout, waitForStatus } from '../test/helpers/workflow-driver';
import { pauseSignal, resumeSignal, rollbackSignal } from '../src/workflows/messages';
import { REPO_ROOT } from '../src/config/toolchain';
import { qualitySchema } from '../src/config/quality-spec';

const release = process.argv[2] ?? 'release-2';
const only = new Set(process.argv.slice(3));
const out = join(REPO_ROOT, 'test/workflows/histories', release);
mkdirSync(out, { recursive: true });
const env = await timeSkippingEnv();
const spec = (() => {
  const s = weeksLongSpec();
  return { ...s, analysis: { ...s.analysis, interval: 12 * 3_600_000 } };
})();

async function record(name: string, run: () => Promise<{ workflowId: string }>): Promise<void> {
  if (only.size > 0 && !only.has(name)) return;
  const { workflowId } = await run();
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(join(out, `${name}.json`), JSON.stringify(history, null, 1));
  console.log(`recorded ${name}: ${history.events?.length ?? 0} events`);
}

await record('promoted', async () => {
  const world = newWorld();
  return withWorkers(env, world, async () => {
    const handle = await startRollout(env, spec, { rolloutId: 'history-promoted' });
    await handle.result();
    return handle;
  });
});

await record('rolled-back-by-operator', async () => {
  const world = newWorld();
  return withWorkers(env, world, async () => {
    const handle = await startRollout(env, spec, { rolloutId: 'history-operator' });
    await waitForStatus(handle, (s) => s.phase === 'Canary' && s.step === 1, 30_000, { env, by: '12h' });
    await command(handle, rollbackSignal, { reason: 'recorded for replay', by: 'ops' });
    await handle.result();
    return handle;
  });
});

await record('rolled-back-on-breach', async () => {
  const healthy = healthyTraffic();
  const world = newWorld({
    traffic: (route, index) => {
      const shape = healthy(route, index);
      if ((route?.weight ?? 0) >= 5) shape.candidate.errors = shape.candidate.requests;
      return shape;
    },
  });
  return withWorkers(env, world, async () => {
    const handle = await startRollout(env, spec, { rolloutId: 'history-breach' });
    await handle.result();
    return handle;
  });
});

await record('paused-and-resumed', async () => {
  const world = newWorld();
  return withWorkers(env, world, async () => {
    const handle = await startRollout(env, spec, { rolloutId: 'history-paused' });
    await waitForStatus(handle, (s) => s.phase === 'Shadow' && s.wait !== null);
    await command(handle, pauseSignal, { by: 'ops', reason: 'recorded for replay' });
    await env.sleep('2d');
    await command(handle, resumeSignal, { by: 'ops' });
    await handle.result();
    return handle;
  });
});

await record('quality-rolled-back', async () => {
  const world = newWorld({ pairBatch: () => ({ shadow: { pairs: 20, worse: 4, equivalent: 16 }, canary: {}, scored: 20 }) });
  const qualitySpec = { ...spec, quality: qualitySchema.parse({ metrics: [{ name: 'candidate-failures', kind: 'failures', minN: 50 }] }) };
  return withWorkers(env, world, async () => {
    const handle = await startRollout(env, qualitySpec, { rolloutId: 'history-quality' });
    await handle.result();
    return handle;
  });
});

await record('gradually-rolled-back', async () => {
  const healthy = healthyTraffic();
  const world = newWorld({
    traffic: (route, index) => {
      const shape = healthy(route, index);
      if ((route?.weight ?? 0) >= 25) shape.candidate.errors = shape.candidate.requests;
      return shape;
    },
  });
  const gradual = { ...spec, rollbackPolicy: { kind: 'gradual' as const, over: 2 * 86_400_000, steps: 2 } };
  return withWorkers(env, world, async () => {
    const handle = await startRollout(env, gradual, { rolloutId: 'history-gradual' });
    await handle.result();
    return handle;
  });
});

await record('breaker-tripped', async () => {
  const healthy = healthyTraffic();
  const world = newWorld({
    traffic: (route, index) => ({
      ...healthy(route, index),
      ...((route?.weight ?? 0) >= 5 ? { breakerOpen: "circuit breaker open: 10 of the candidate's last 20 requests failed (limit 50%)" } : {}),
    }),
  });
  return withWorkers(env, world, async () => {
    const handle = await startRollout(env, spec, { rolloutId: 'history-breaker' });
    await handle.result();
    return handle;
  });
});

await teardownEnv(env);
