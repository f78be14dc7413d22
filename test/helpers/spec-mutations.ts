// Random rollout specs for fuzzing the spec loader: a valid spec with one subtree replaced by random
// JSON, a key added, or one removed — and YAML trees that are nothing like a spec at all.
import fc from 'fast-check';

export const VALID_SPEC = {
  name: 'fuzzed',
  route: 'chat',
  stable: { endpoint: 'http://127.0.0.1:9/v1', apiKeyEnv: 'STABLE_KEY' },
  candidate: { model: '/models/m.gguf', quantize: { type: 'Q8_0' }, server: { contextSize: 2048 } },
  shadow: { duration: '1h', sampleRate: 0.5, minPairs: 10 },
  canary: {
    steps: [
      { weight: 10, duration: '1h' },
      { weight: 100, duration: '2h' },
    ],
  },
  analysis: { interval: '5m', failureLimit: 2, rollback: { maxErrorRate: 0.2 }, promote: { minSamples: 10 } },
  notifications: { webhooks: [{ urlEnv: 'HOOK', format: 'slack' }] },
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value inside a JSON tree. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const inner =
    value !== null && typeof value === 'object'
      ? Array.isArray(value)
        ? value.flatMap((v, i) => paths(v, [...prefix, i]))
        : Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))
      : [];
  return [prefix, ...inner];
}

function replaceAt(tree: Json, path: (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(tree)) return tree.map((v, i) => (i === head ? replaceAt(v, rest, replacement) : v)).filter((v) => v !== undefined);
  if (tree === null || typeof tree !== 'object') return tree;
  const copy: { [key: string]: Json } = { ...tree };
  const key = String(head);
  if (rest.length === 0 && replacement === undefined) delete copy[key];
  else copy[key] = replaceAt(copy[key] ?? null, rest, replacement);
  return copy;
}

const allPaths = paths(VALID_SPEC).slice(1);

/** The valid spec with one random change: a subtree replaced, a key removed, or an unknown key added. */
export const mutatedSpec: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(fc.constantFrom(...allPaths), fc.jsonValue({ maxDepth: 3 })).map(([path, value]) => replaceAt(VALID_SPEC as unknown as Json, path, value as Json)),
  fc.constantFrom(...allPaths).map((path) => replaceAt(VALID_SPEC as unknown as Json, path, undefined)),
  fc
    .tuple(fc.constantFrom(...allPaths.filter((p) => p.length <= 2)), fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([path, key, value]) => replaceAt(VALID_SPEC as unknown as Json, [...path, key], value as Json)),
);

/** Anything YAML can say, spec or not. */
export const anyTree: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });
