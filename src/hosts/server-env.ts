// Model servers run code Gantry did not write (llama-server, vLLM and whatever Python it imports):
// they get only what an engine needs from the host agent's environment, never its admin token,
// Temporal credentials, payload key or database URL.

/** Exact names an engine may need: paths, locale, temp, the C and Python runtimes. */
const KEPT = new Set([
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'TZ',
  'TMPDIR',
  'LD_LIBRARY_PATH',
  'PYTHONPATH',
  'VIRTUAL_ENV',
  'HF_HOME',
  'HF_HUB_OFFLINE',
  'TRANSFORMERS_OFFLINE',
]);
/** Prefixes of engine and accelerator settings: threads, CUDA and NVIDIA device selection, vLLM and llama.cpp options. */
const KEPT_PREFIXES = ['LC_', 'OMP_', 'MKL_', 'CUDA_', 'NVIDIA_', 'NCCL_', 'VLLM_', 'LLAMA_', 'GGML_', 'TORCH_', 'PYTORCH_'];

export function modelServerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (KEPT.has(name) || KEPT_PREFIXES.some((prefix) => name.startsWith(prefix)))) kept[name] = value;
  }
  return kept;
}
