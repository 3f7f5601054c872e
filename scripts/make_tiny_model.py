#!/usr/bin/env python3
"""Write a seeded random tiny Llama-family model as a Hugging Face directory.

usage: make_tiny_model.py OUT_DIR [--tokenizer DIR | --no-tokenizer] [--seed S]
                          [--model-type llama|mistral|qwen2] [--layers N] [--dim D] [--heads H]
                          [--kv-heads K] [--intermediate I] [--vocab V] [--tie]
                          [--dtype F32|F16|BF16] [--rope-scaling-llama3 FACTOR]
                          [--rope-scaling-dynamic FACTOR] [--rope-parameters]
                          [--sliding-window W [--max-window-layers N]] [--max-position P]

OUT_DIR gets config.json, model.safetensors and (unless --no-tokenizer) the tokenizer files of
DIR (default data/tokenizers/llama2, vocab 32000), so it serves as a MODEL directory for
profile_throughput. The defaults are the demo model: small enough that 2 CPU cores serve a few
hundred ShareGPT requests quickly. Python standard library only.
"""
import argparse
import array
import json
import math
import os
import random
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert_llama2c import write_safetensors  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_FILES = ("tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                   "special_tokens_map.json")


def encode(values, dtype):
    a = array.array("f", values)
    if sys.byteorder != "little":
        a.byteswap()
    if dtype == "F32":
        return a.tobytes()
    if dtype == "F16":
        return struct.pack(f"<{len(values)}e", *values)
    # BF16: the top 16 bits of the fp32 pattern, rounded to nearest even.
    bits = array.array("I", a.tobytes())
    out = array.array("H", (((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF for b in bits))
    return out.tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--tokenizer", default=os.path.join(REPO, "data", "tokenizers", "llama2"))
    ap.add_argument("--no-tokenizer", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model-type", default="llama", choices=["llama", "mistral", "qwen2"])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=192)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--max-position", type=int, default=2048)
    ap.add_argument("--tie", action="store_true", help="tie the LM head to the embedding")
    ap.add_argument("--dtype", default="F32", choices=["F32", "F16", "BF16"])
    ap.add_argument("--rope-scaling-llama3", type=float, default=0.0, metavar="FACTOR",
                    help="add Llama 3 rope_scaling with this factor")
    ap.add_argument("--rope-scaling-dynamic", type=float, default=0.0, metavar="FACTOR",
                    help="add dynamic (NTK) rope_scaling with this factor")
    ap.add_argument("--rope-parameters", action="store_true",
                    help="write rope_theta and the scaling as transformers v5's rope_parameters")
    ap.add_argument("--sliding-window", type=int, default=0, metavar="W",
                    help="sliding-window attention over W positions (mistral: every layer; "
                         "qwen2: use_sliding_window, layers >= --max-window-layers)")
    ap.add_argument("--max-window-layers", type=int, default=0, metavar="N",
                    help="qwen2: the first layer that slides")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    dim, hd = args.dim, args.dim // args.heads
    q_dim, kv_dim, inter = args.heads * hd, args.kv_heads * hd, args.intermediate

    tensors = []

    def add(name, shape, std, mean=0.0):
        n = math.prod(shape)
        values = [rng.gauss(mean, std) for _ in range(n)]
        tensors.append((name, shape, args.dtype, encode(values, args.dtype)))

    add("model.embed_tokens.weight", (args.vocab, dim), 1.0)
    for l in range(args.layers):
        p = f"model.layers.{l}."
        add(p + "input_layernorm.weight", (dim,), 0.1, 1.0)
        add(p + "self_attn.q_proj.weight", (q_dim, dim), dim ** -0.5)
        add(p + "self_attn.k_proj.weight", (kv_dim, dim), dim ** -0.5)
        add(p + "self_attn.v_proj.weight", (kv_dim, dim), dim ** -0.5)
        if args.model_type == "qwen2":
            add(p + "self_attn.q_proj.bias", (q_dim,), 0.1)
            add(p + "self_attn.k_proj.bias", (kv_dim,), 0.1)
            add(p + "self_attn.v_proj.bias", (kv_dim,), 0.1)
        add(p + "self_attn.o_proj.weight", (dim, q_dim), q_dim ** -0.5)
        add(p + "post_attention_layernorm.weight", (dim,), 0.1, 1.0)
        add(p + "mlp.gate_proj.weight", (inter, dim), dim ** -0.5)
        add(p + "mlp.up_proj.weight", (inter, dim), dim ** -0.5)
        add(p + "mlp.down_proj.weight", (dim, inter), inter ** -0.5)
    add("model.norm.weight", (dim,), 0.1, 1.0)
    if not args.tie:
        add("lm_head.weight", (args.vocab, dim), dim ** -0.5)

    config = {
        "architectures": [{"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                           "qwen2": "Qwen2ForCausalLM"}[args.model_type]],
        "model_type": args.model_type,
        "hidden_act": "silu",
        "hidden_size": dim,
        "intermediate_size": inter,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads,
        "head_dim": hd,
        "vocab_size": args.vocab,
        "max_position_embeddings": args.max_position,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": args.tie,
        "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[args.dtype],
    }
    if args.rope_scaling_llama3 > 0:
        config["rope_scaling"] = {"rope_type": "llama3", "factor": args.rope_scaling_llama3,
                                  "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 64}
    if args.rope_scaling_dynamic > 0:
        config["rope_scaling"] = {"rope_type": "dynamic", "factor": args.rope_scaling_dynamic}
    if args.rope_parameters:
        config["rope_parameters"] = dict(config.pop("rope_scaling") or {"rope_type": "default"},
                                         rope_theta=config.pop("rope_theta"))
    if args.model_type == "mistral":
        config["sliding_window"] = args.sliding_window or None
    elif args.model_type == "qwen2":
        # Qwen2.5's configs carry a window that use_sliding_window false switches off.
        config["use_sliding_window"] = args.sliding_window > 0
        config["sliding_window"] = args.sliding_window or 32768
        config["max_window_layers"] = args.max_window_layers if args.sliding_window else args.layers
    elif args.sliding_window:
        sys.exit("--sliding-window: only mistral and qwen2 have one")
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(args.out_dir, "model.safetensors"), tensors)
    if not args.no_tokenizer:
        copied = 0
        for name in TOKENIZER_FILES:
            path = os.path.join(args.tokenizer, name)
            if os.path.exists(path):
                shutil.copy(path, os.path.join(args.out_dir, name))
                copied += 1
        if copied == 0:
            sys.exit(f"{args.tokenizer}: no tokenizer files ({', '.join(TOKENIZER_FILES)})")


if __name__ == "__main__":
    main()
