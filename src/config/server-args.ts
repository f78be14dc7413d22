// `server.extraArgs` are appended to the command Gantry builds, and a later flag wins: without a
// check a spec could rebind a model server to every interface, serve another model, write its log
// where it likes or let vLLM run a checkpoint's own code. The flags Gantry sets itself, or that reach
// beyond the server (files, keys, remote code), are refused by name; the rest are the engine's own
// tuning and pass through.

/** Flags Gantry owns, or that no spec may set, per engine. */
const OWNED_FLAGS: Record<'llama.cpp' | 'vllm', readonly string[]> = {
  'llama.cpp': [
    '-m',
    '--model',
    '-mu',
    '--model-url',
    '-hf',
    '-hfr',
    '--hf-repo',
    '-hff',
    '--hf-file',
    '-hft',
    '--hf-token',
    '-dr',
    '--docker-repo',
    '--host',
    '--port',
    '--reuse-port',
    '-a',
    '--alias',
    '--api-key',
    '--api-key-file',
    '--ssl-key-file',
    '--ssl-cert-file',
    '--log-file',
    '--path',
    '--api-prefix',
    '--slot-save-path',
    '--media-path',
    '-c',
    '--ctx-size',
    '-np',
    '--parallel',
    '--metrics',
    '--chat-template-file',
    '--chat-template',
    '--jinja',
    '--no-jinja',
  ],
  vllm: [
    'serve',
    '--model',
    '--host',
    '--port',
    '--uds',
    '--served-model-name',
    '--api-key',
    '--ssl-keyfile',
    '--ssl-certfile',
    '--root-path',
    '--trust-remote-code',
    '--download-dir',
    '--allowed-local-media-path',
    '--hf-token',
    '--tokenizer',
    '--max-model-len',
    '--max-num-seqs',
    '--chat-template',
  ],
};

/** Why these extra arguments cannot be given to this engine, or null. */
export function extraArgsProblem(engine: 'llama.cpp' | 'vllm', args: readonly string[]): string | null {
  const owned = OWNED_FLAGS[engine];
  for (const arg of args) {
    const flag = arg.split('=')[0] ?? arg;
    if (owned.includes(flag))
      return `${flag} is set by Gantry (or may not be set from a spec) for ${engine}: use the spec's own fields (server.contextSize, server.parallel, server.chatTemplateFile) or leave it out`;
  }
  return null;
}
