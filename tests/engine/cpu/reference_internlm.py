#!/usr/bin/env python3
"""Float64 numpy greedy decoding of the InternLM families, after their published modeling code.

usage: reference_internlm.py MODEL_DIR NEW_TOKENS LOGITS_OUT TOKEN [TOKEN ...]

Prints the NEW_TOKENS ids that greedy decoding appends to the prompt TOKEN..., one line,
space-separated, and writes the logits each id was chosen from as float32
[NEW_TOKENS, vocab] to LOGITS_OUT. Each step reruns the whole sequence causally (no KV cache, no TP). The three
forwards follow the remote code of each family, not this repository's engine:
  internlm   InternLMForCausalLM (modeling_internlm.py): Llama with q/k/v/o biases when
             config.bias; multi-head attention; RoPE base from rotary["base"] (or rope_theta).
  internlm2  InternLM2ForCausalLM (modeling_internlm2.py): one wqkv projection rearranged
             "b q (h gs d) -> b q h gs d" with gs = 2 + heads / kv_heads; query heads are the
             first gs - 2 slots, key slot -2, value slot -1; wo; feed_forward w2(silu(w1) * w3).
  internlm3  InternLM3ForCausalLM (modeling_internlm3.py): explicit head_dim, q/k/v biases from
             qkv_bias, o_proj and gate/up/down biases from bias.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_forward import load_tensors  # noqa: E402  (a plain safetensors reader)


def rms_norm(x, weight, eps):
    variance = (x * x).mean(-1, keepdims=True)
    return weight * (x / np.sqrt(variance + eps))


def linear(w, name, x, bias):
    y = x @ w[name + ".weight"].T
    return y + w[name + ".bias"] if bias else y


def rotary(base, dim, seq_len):
    inv_freq = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    freqs = np.outer(np.arange(seq_len, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], -1)
    return np.cos(emb), np.sin(emb)  # [T, dim]


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], -1)


def apply_rotary(q, k, cos, sin):  # q, k: [heads, T, dim]
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def attention(q, k, v):
    """q [H, T, d], k/v [KV, T, d] -> [T, H * d], causal, keys repeated per group (repeat_kv)."""
    heads, T, d = q.shape
    k = np.repeat(k, heads // k.shape[0], axis=0)
    v = np.repeat(v, heads // v.shape[0], axis=0)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(d)
    scores = scores + np.triu(np.full((T, T), -np.inf), 1)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    return (probs @ v).transpose(1, 0, 2).reshape(T, heads * d)


def silu(x):
    return x / (1.0 + np.exp(-x))


def internlm_forward(cfg, w, tokens):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    d, T, bias, eps = D // H, len(tokens), cfg.get("bias", True), cfg["rms_norm_eps"]
    base = cfg.get("rotary", {}).get("base", cfg.get("rope_theta", 10000))
    cos, sin = rotary(base, d, T)
    x = w["model.embed_tokens.weight"][tokens]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q, k, v = (linear(w, p + f"self_attn.{n}_proj", h, bias).reshape(T, H, d).transpose(1, 0, 2)
                   for n in "qkv")
        q, k = apply_rotary(q, k, cos, sin)
        x = x + linear(w, p + "self_attn.o_proj", attention(q, k, v), bias)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + linear(w, p + "mlp.down_proj",
                       silu(linear(w, p + "mlp.gate_proj", h, False)) *
                       linear(w, p + "mlp.up_proj", h, False), False)
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w["lm_head.weight"].T


def internlm2_forward(cfg, w, tokens):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    d, T, bias, eps = D // H, len(tokens), cfg.get("bias", True), cfg["rms_norm_eps"]
    groups = H // KV
    cos, sin = rotary(cfg.get("rope_theta", 10000), d, T)
    x = w["model.tok_embeddings.weight"][tokens]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "attention_norm.weight"], eps)
        qkv = linear(w, p + "attention.wqkv", h, bias).reshape(T, KV, 2 + groups, d)
        q = qkv[:, :, :groups, :].reshape(T, H, d).transpose(1, 0, 2)
        k = qkv[:, :, -2, :].transpose(1, 0, 2)
        v = qkv[:, :, -1, :].transpose(1, 0, 2)
        q, k = apply_rotary(q, k, cos, sin)
        x = x + linear(w, p + "attention.wo", attention(q, k, v), bias)
        h = rms_norm(x, w[p + "ffn_norm.weight"], eps)
        x = x + linear(w, p + "feed_forward.w2",
                       silu(linear(w, p + "feed_forward.w1", h, False)) *
                       linear(w, p + "feed_forward.w3", h, False), False)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.tok_embeddings.weight"] if cfg.get("tie_word_embeddings") else w["output.weight"]
    return x @ head.T


def internlm3_forward(cfg, w, tokens):
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d, T, eps = cfg.get("head_dim") or D // H, len(tokens), cfg["rms_norm_eps"]
    qkv_bias, bias = cfg.get("qkv_bias", False), cfg.get("bias", False)
    scaling = cfg.get("rope_scaling") or {}
    if scaling.get("rope_type", scaling.get("type", "default")) != "default":
        sys.exit("reference_internlm.py: only default RoPE is implemented")
    cos, sin = rotary(cfg["rope_theta"], d, T)
    x = w["model.embed_tokens.weight"][tokens]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(w, p + "self_attn.q_proj", h, qkv_bias).reshape(T, H, d).transpose(1, 0, 2)
        k = linear(w, p + "self_attn.k_proj", h, qkv_bias).reshape(T, KV, d).transpose(1, 0, 2)
        v = linear(w, p + "self_attn.v_proj", h, qkv_bias).reshape(T, KV, d).transpose(1, 0, 2)
        q, k = apply_rotary(q, k, cos, sin)
        x = x + linear(w, p + "self_attn.o_proj", attention(q, k, v), bias)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + linear(w, p + "mlp.down_proj",
                       silu(linear(w, p + "mlp.gate_proj", h, bias)) *
                       linear(w, p + "mlp.up_proj", h, bias), bias)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return x @ head.T


FORWARDS = {"internlm": internlm_forward, "internlm2": internlm2_forward,
            "internlm3": internlm3_forward}


def main():
    model_dir, new_tokens, logits_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    tokens = [int(t) for t in sys.argv[4:]]
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    forward = FORWARDS[cfg["model_type"]]
    weights = load_tensors(model_dir)
    out, logits = [], []
    for _ in range(new_tokens):
        logits.append(forward(cfg, weights, tokens + out)[-1])
        out.append(int(np.argmax(logits[-1])))
    np.array(logits).astype("<f4").tofile(logits_out)
    print(" ".join(map(str, out)))


if __name__ == "__main__":
    main()
