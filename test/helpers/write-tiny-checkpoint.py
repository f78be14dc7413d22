"""Writes a tiny Hugging Face checkpoint for conversion tests: a two-layer Llama with random
weights, a small config, and SmolLM2's real tokenizer rebuilt from the SmolLM2 GGUF file that
setup extracts (its vocabulary and merges), so nothing is downloaded.

usage: write-tiny-checkpoint.py <smollm2.gguf> <llama.cpp source> <output folder> [seed]
"""
import json
import os
import sys

import numpy as np


def main() -> None:
    gguf_path, llama_source, out = sys.argv[1], sys.argv[2], sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    sys.path.insert(0, os.path.join(llama_source, "gguf-py"))
    import gguf  # noqa: E402  (from llama.cpp's own tree)
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    reader = gguf.GGUFReader(gguf_path)

    def field(name):
        f = reader.fields[name]
        if len(f.types) > 1 or f.types[0] == gguf.GGUFValueType.ARRAY:
            return [bytes(f.parts[i]).decode("utf-8") if f.types[-1] == gguf.GGUFValueType.STRING else f.parts[i][0] for i in f.data]
        part = f.parts[f.data[0]]
        return bytes(part).decode("utf-8") if f.types[0] == gguf.GGUFValueType.STRING else part[0].item()

    tokens = field("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in field("tokenizer.ggml.merges")]
    bos, eos = int(field("tokenizer.ggml.bos_token_id")), int(field("tokenizer.ggml.eos_token_id"))
    template = field("tokenizer.chat_template")

    # SmolLM's tokenizer: byte-level BPE, digits split one by one, no normaliser.
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    special = [t for t in tokens[:17] if t.startswith("<")]
    tokenizer.add_special_tokens(special)
    os.makedirs(out, exist_ok=True)
    tokenizer.save(os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "tokenizer_class": "GPT2Tokenizer",
                "bos_token": tokens[bos],
                "eos_token": tokens[eos],
                "unk_token": tokens[0],
                "model_max_length": 2048,
                "chat_template": template,
                "add_prefix_space": False,
            },
            f,
            indent=2,
        )

    hidden, intermediate, layers, heads, kv_heads, vocab = 64, 128, 2, 4, 2, len(tokens)
    head_dim = hidden // heads
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": intermediate,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "vocab_size": vocab,
        "max_position_embeddings": 2048,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "tie_word_embeddings": True,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "torch_dtype": "float32",
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    rng = np.random.default_rng(seed)
    w = lambda *shape: (rng.standard_normal(shape) * 0.02).astype(np.float32)  # noqa: E731
    tensors = {"model.embed_tokens.weight": w(vocab, hidden), "model.norm.weight": np.ones(hidden, np.float32)}
    for i in range(layers):
        p = f"model.layers.{i}."
        tensors.update(
            {
                p + "self_attn.q_proj.weight": w(heads * head_dim, hidden),
                p + "self_attn.k_proj.weight": w(kv_heads * head_dim, hidden),
                p + "self_attn.v_proj.weight": w(kv_heads * head_dim, hidden),
                p + "self_attn.o_proj.weight": w(hidden, heads * head_dim),
                p + "mlp.gate_proj.weight": w(intermediate, hidden),
                p + "mlp.up_proj.weight": w(intermediate, hidden),
                p + "mlp.down_proj.weight": w(hidden, intermediate),
                p + "input_layernorm.weight": np.ones(hidden, np.float32),
                p + "post_attention_layernorm.weight": np.ones(hidden, np.float32),
            }
        )
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    print(f"wrote {out}: {layers} layers, hidden {hidden}, vocab {vocab}")


if __name__ == "__main__":
    main()
