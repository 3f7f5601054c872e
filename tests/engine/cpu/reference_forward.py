#!/usr/bin/env python3
"""Independent numpy reference of the Hugging Face Llama / Mistral / Qwen2 forward pass.

usage: reference_forward.py [--prompt-len P] [--greedy N] MODEL_DIR OUT TOKEN [TOKEN ...]

Runs the whole token list causally in float64 (no KV cache, no paging, no TP) and writes the
logits of every position as float32 [len(tokens), vocab] to OUT. With --greedy N the tokens
are a prompt: N greedy tokens are generated (a full forward per token) and OUT gets their ids,
one per line.

RoPE follows transformers' modeling_rope_utils (default, linear, llama3, dynamic), with config
keys from rope_scaling or transformers v5's rope_parameters. Dynamic (NTK) scaling takes its
base once per request from the prompt length, as LMDeploy's TurboMind does (init_dynamic_ntk):
the prompt length is P (--prompt-len, default: the token count, or the prompt with --greedy),
and every position uses that base. Sliding windows follow transformers' configs (mistral: every
layer; qwen2: use_sliding_window and layers >= max_window_layers, or layer_types) and mask
(key index > query index - sliding_window).
"""
import argparse
import json
import os
import struct

import numpy as np


def load_tensors(model_dir):
    tensors = {}
    for name in sorted(os.listdir(model_dir)):
        if not name.endswith(".safetensors"):
            continue
        raw = open(os.path.join(model_dir, name), "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        for key, e in header.items():
            if key == "__metadata__":
                continue
            b, end = e["data_offsets"]
            buf = data[b:end]
            if e["dtype"] == "F32":
                a = np.frombuffer(buf, dtype="<f4")
            elif e["dtype"] == "F16":
                a = np.frombuffer(buf, dtype="<f2")
            elif e["dtype"] == "BF16":
                a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                raise SystemExit(f"unsupported dtype {e['dtype']}")
            tensors[key] = a.astype(np.float64).reshape(e["shape"])
    return tensors


def rope_settings(cfg):
    """(rope_theta, scaling dict) from rope_parameters (transformers v5) or the legacy keys."""
    if cfg.get("rope_parameters") is not None:
        p = cfg["rope_parameters"]
        return p.get("rope_theta", cfg.get("rope_theta", 10000.0)), p
    return cfg.get("rope_theta", 10000.0), cfg.get("rope_scaling") or {}


def inv_freq(cfg, hd, prompt_len):
    base, s = rope_settings(cfg)
    kind = s.get("rope_type", s.get("type", "default"))
    if kind == "dynamic":
        # modeling_rope_utils._compute_dynamic_ntk_parameters with seq_len = the prompt length;
        # TurboMind applies it only for factor > 1.
        factor, max_pos = s["factor"], cfg["max_position_embeddings"]
        if factor > 1 and prompt_len > max_pos:
            base = base * ((factor * prompt_len / max_pos) - (factor - 1)) ** (hd / (hd - 2))
    f = 1.0 / (base ** (np.arange(0, hd, 2) / hd))
    if kind == "linear":
        f = f / s["factor"]
    elif kind == "llama3":
        factor, low, high = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
        old = s["original_max_position_embeddings"]
        wavelen = 2 * np.pi / f
        scaled = np.where(wavelen > old / low, f / factor, f)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < old / high) & ~(wavelen > old / low)
        f = np.where(medium, smoothed, scaled)
    return f


def rmsnorm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def layer_windows(cfg):
    """The sliding window of each layer, 0 for full attention."""
    n = cfg["num_hidden_layers"]
    kind = cfg["model_type"]
    if kind == "mistral":
        window = cfg.get("sliding_window", 4096) or 0
        kinds = cfg.get("layer_types") or ["sliding_attention"] * n
    elif kind == "qwen2" and cfg.get("use_sliding_window", False):
        window = cfg.get("sliding_window", 4096) or 0
        first = cfg.get("max_window_layers", 28)
        kinds = cfg.get("layer_types") or [
            "sliding_attention" if i >= first else "full_attention" for i in range(n)]
    else:
        return [0] * n
    return [window if k == "sliding_attention" else 0 for k in kinds]


def forward(cfg, w, tokens, prompt_len):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or D // H
    eps = cfg["rms_norm_eps"]
    T = len(tokens)
    x = w["model.embed_tokens.weight"][tokens]
    ang = np.outer(np.arange(T), inv_freq(cfg, hd, prompt_len))
    cos = np.cos(np.concatenate([ang, ang], -1))[:, None, :]
    sin = np.sin(np.concatenate([ang, ang], -1))[:, None, :]

    def rope(t):
        rot = np.concatenate([-t[..., hd // 2:], t[..., :hd // 2]], -1)
        return t * cos + rot * sin

    def lin(h, name):
        y = h @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    q_idx, kv_idx = np.arange(T)[:, None], np.arange(T)[None, :]
    windows = layer_windows(cfg)
    for l in range(cfg["num_hidden_layers"]):
        allowed = kv_idx <= q_idx
        if windows[l]:
            allowed &= kv_idx > q_idx - windows[l]
        mask = np.where(allowed, 0.0, -np.inf)
        p = f"model.layers.{l}."
        h = rmsnorm(x, w[p + "input_layernorm.weight"], eps)
        q = rope(lin(h, p + "self_attn.q_proj").reshape(T, H, hd))
        k = rope(lin(h, p + "self_attn.k_proj").reshape(T, KV, hd))
        v = lin(h, p + "self_attn.v_proj").reshape(T, KV, hd)
        k, v = np.repeat(k, H // KV, axis=1), np.repeat(v, H // KV, axis=1)
        scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd) + mask
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        attn = np.einsum("hts,shd->thd", probs, v).reshape(T, H * hd)
        x = x + lin(attn, p + "self_attn.o_proj")
        h = rmsnorm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate, up = lin(h, p + "mlp.gate_proj"), lin(h, p + "mlp.up_proj")
        x = x + lin(gate / (1 + np.exp(-gate)) * up, p + "mlp.down_proj")
    x = rmsnorm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head.T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompt-len", type=int, default=0)
    ap.add_argument("--greedy", type=int, default=0)
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("tokens", type=int, nargs="+")
    args = ap.parse_args()
    cfg = json.load(open(os.path.join(args.model_dir, "config.json")))
    w = load_tensors(args.model_dir)
    tokens = list(args.tokens)
    prompt_len = args.prompt_len or len(tokens)
    if args.greedy:
        generated = []
        for _ in range(args.greedy):
            generated.append(int(np.argmax(forward(cfg, w, tokens, prompt_len)[-1])))
            tokens.append(generated[-1])
        with open(args.out, "w") as f:
            f.write("".join(f"{t}\n" for t in generated))
        return
    forward(cfg, w, tokens, prompt_len).astype("<f4").tofile(args.out)


if __name__ == "__main__":
    main()
