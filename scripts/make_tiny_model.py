#!/usr/bin/env python3
"""Write a seeded random tiny Llama-family model as a Hugging Face directory.

usage: make_tiny_model.py OUT_DIR [--tokenizer DIR | --no-tokenizer] [--seed S]
                          [--model-type llama|mistral|qwen2|internlm|internlm2|internlm3]
                          [--layers N] [--dim D] [--heads H] [--kv-heads K] [--head-dim HD]
                          [--intermediate I] [--vocab V] [--tie] [--bias true|false]
                          [--rope-theta B] [--dtype F32|F16|BF16] [--rope-scaling-llama3 FACTOR]
                          [--rope-scaling-dynamic FACTOR] [--rope-parameters]
                          [--sliding-window W [--max-window-layers N]] [--max-position P]

OUT_DIR gets config.json, model.safetensors and (unless --no-tokenizer) the tokenizer files of
DIR (default data/tokenizers/llama2, vocab 32000), so it serves as a MODEL directory for
profile_throughput. The defaults are the demo model: small enough that 2 CPU cores serve a few
hundred ShareGPT requests quickly. Python standard library only.

The InternLM families are written as their published checkpoints are:
  internlm   Llama names; "bias" (default true, internlm-7b) gives q/k/v/o biases; the RoPE base
             in the old "rotary" key when biased (internlm-7b), in rope_theta otherwise
             (internlm-20b); persistent rotary_emb.inv_freq buffers in the checkpoint.
  internlm2  tok_embeddings, attention.wqkv / wo, feed_forward.w1/w3/w2, attention_norm,
             ffn_norm, output; wqkv rows grouped per KV head: its query heads, its K, its V.
             "bias" defaults to false, as shipped.
  internlm3  Llama names, explicit head_dim; qkv_bias (q/k/v) and bias (o_proj and the MLP),
             both from --bias (default true).
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


ARCHITECTURES = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                 "qwen2": "Qwen2ForCausalLM", "internlm": "InternLMForCausalLM",
                 "internlm2": "InternLM2ForCausalLM", "internlm3": "InternLM3ForCausalLM"}

LLAMA_NAMES = {"embed": "model.embed_tokens.weight", "lm_head": "lm_head.weight",
               "attn_norm": "input_layernorm.weight", "ffn_norm": "post_attention_layernorm.weight",
               "o": "self_attn.o_proj", "gate": "mlp.gate_proj", "up": "mlp.up_proj",
               "down": "mlp.down_proj"}
INTERNLM2_NAMES = {"embed": "model.tok_embeddings.weight", "lm_head": "output.weight",
                   "attn_norm": "attention_norm.weight", "ffn_norm": "ffn_norm.weight",
                   "o": "attention.wo", "gate": "feed_forward.w1", "up": "feed_forward.w3",
                   "down": "feed_forward.w2"}


def add_internlm2_wqkv(add, prefix, args, hd, dim, bias):
    """One [(heads + 2 kv_heads) * hd, dim] wqkv (random, so its row order is only a reading)."""
    rows = (args.heads + 2 * args.kv_heads) * hd
    add(prefix + "attention.wqkv.weight", (rows, dim), dim ** -0.5)
    if bias:
        add(prefix + "attention.wqkv.bias", (rows,), 0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--tokenizer", default=os.path.join(REPO, "data", "tokenizers", "llama2"))
    ap.add_argument("--no-tokenizer", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model-type", default="llama", choices=list(ARCHITECTURES))
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=0, help="default dim / heads")
    ap.add_argument("--intermediate", type=int, default=192)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--max-position", type=int, default=2048)
    ap.add_argument("--tie", action="store_true", help="tie the LM head to the embedding")
    ap.add_argument("--bias", choices=["true", "false"],
                    help="the InternLM families' bias flag (see above)")
    ap.add_argument("--rope-theta", type=float, default=10000.0)
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
    family = args.model_type
    bias = (args.bias or ("false" if family == "internlm2" else "true")) == "true"
    dim, hd = args.dim, args.head_dim or args.dim // args.heads
    q_dim, kv_dim, inter = args.heads * hd, args.kv_heads * hd, args.intermediate
    qkv_bias = family == "qwen2" or (family.startswith("internlm") and bias)
    o_bias = family in ("internlm", "internlm2", "internlm3") and bias
    mlp_bias = family == "internlm3" and bias

    tensors = []

    def values(shape, std, mean=0.0):
        return [rng.gauss(mean, std) for _ in range(math.prod(shape))]

    def add(name, shape, std, mean=0.0):
        tensors.append((name, shape, args.dtype, encode(values(shape, std, mean), args.dtype)))

    names = INTERNLM2_NAMES if family == "internlm2" else LLAMA_NAMES
    add(names["embed"], (args.vocab, dim), 1.0)
    for l in range(args.layers):
        p = f"model.layers.{l}."
        add(p + names["attn_norm"], (dim,), 0.1, 1.0)
        if family == "internlm2":
            add_internlm2_wqkv(add, p, args, hd, dim, bias)
        else:
            projections = (("q_proj", q_dim), ("k_proj", kv_dim), ("v_proj", kv_dim))
            for proj, rows in projections:
                add(p + f"self_attn.{proj}.weight", (rows, dim), dim ** -0.5)
            for proj, rows in projections if qkv_bias else ():
                add(p + f"self_attn.{proj}.bias", (rows,), 0.1)
        add(p + names["o"] + ".weight", (dim, q_dim), q_dim ** -0.5)
        if o_bias:
            add(p + names["o"] + ".bias", (dim,), 0.1)
        if family == "internlm":
            # The remote code's persistent buffer; loaders skip it.
            inv_freq = [args.rope_theta ** (-i / hd) for i in range(0, hd, 2)]
            tensors.append((p + "self_attn.rotary_emb.inv_freq", (hd // 2,), "F32",
                            encode(inv_freq, "F32")))
        add(p + names["ffn_norm"], (dim,), 0.1, 1.0)
        for key, shape, std in (("gate", (inter, dim), dim ** -0.5),
                                ("up", (inter, dim), dim ** -0.5),
                                ("down", (dim, inter), inter ** -0.5)):
            add(p + names[key] + ".weight", shape, std)
            if mlp_bias:
                add(p + names[key] + ".bias", (shape[0],), 0.1)
    add("model.norm.weight", (dim,), 0.1, 1.0)
    if not args.tie:
        add(names["lm_head"], (args.vocab, dim), dim ** -0.5)

    config = {
        "architectures": [ARCHITECTURES[family]],
        "model_type": family,
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
        "rope_theta": args.rope_theta,
        "rope_scaling": None,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": args.tie,
        "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[args.dtype],
    }
    if family.startswith("internlm"):
        config["auto_map"] = {
            "AutoConfig": f"configuration_{family}.{ARCHITECTURES[family][:-len('ForCausalLM')]}Config",
            "AutoModelForCausalLM": f"modeling_{family}.{ARCHITECTURES[family]}"}
        config["bias"] = bias
    if family == "internlm":
        if args.kv_heads != args.heads:
            sys.exit("internlm (v1) has no grouped-query attention: --kv-heads must equal --heads")
        config["pad_token_id"] = 0
        if bias:  # internlm-7b: no head_dim, no rope_theta, the RoPE base in "rotary"
            for key in ("num_key_value_heads", "head_dim", "rope_theta", "rope_scaling"):
                del config[key]
            config["rotary"] = {"base": args.rope_theta, "type": "dynamic"}
    elif family == "internlm2":
        del config["head_dim"]
        config["attn_implementation"] = "eager"
    elif family == "internlm3":
        config["qkv_bias"] = bias
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
