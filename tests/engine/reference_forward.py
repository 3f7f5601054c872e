#!/usr/bin/env python3
"""Independent numpy reference of the Hugging Face Llama / Mistral / Qwen2 forward pass.

usage: reference_forward.py MODEL_DIR OUT.bin TOKEN [TOKEN ...]

Runs the whole token list causally in float64 (no KV cache, no paging, no TP) and writes the
logits of every position as float32 [len(tokens), vocab] to OUT.bin.
"""
import json
import os
import struct
import sys

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


def inv_freq(cfg, hd):
    f = 1.0 / (cfg.get("rope_theta", 10000.0) ** (np.arange(0, hd, 2) / hd))
    s = cfg.get("rope_scaling") or {}
    kind = s.get("rope_type", s.get("type", "default"))
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


def forward(cfg, w, tokens):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or D // H
    eps = cfg["rms_norm_eps"]
    T = len(tokens)
    x = w["model.embed_tokens.weight"][tokens]
    ang = np.outer(np.arange(T), inv_freq(cfg, hd))
    cos = np.cos(np.concatenate([ang, ang], -1))[:, None, :]
    sin = np.sin(np.concatenate([ang, ang], -1))[:, None, :]

    def rope(t):
        rot = np.concatenate([-t[..., hd // 2:], t[..., :hd // 2]], -1)
        return t * cos + rot * sin

    def lin(h, name):
        y = h @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(cfg["num_hidden_layers"]):
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
    model_dir, out = sys.argv[1], sys.argv[2]
    tokens = [int(t) for t in sys.argv[3:]]
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    logits = forward(cfg, load_tensors(model_dir), tokens)
    logits.astype("<f4").tofile(out)


if __name__ == "__main__":
    main()
