#!/usr/bin/env python3
"""Convert a llama2.c checkpoint (legacy v0 format) to a Hugging Face Llama directory.

usage: convert_llama2c.py IN.bin OUT_DIR

The v0 file is 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
a negative vocab_size means the classifier is not shared with the embedding), then fp32 arrays:
token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real,
freq_cis_imag (skipped: HF computes RoPE itself), [wcls]. OUT_DIR gets config.json and
model.safetensors (F32). Python standard library only.

llama2.c rotates interleaved pairs (x[2i], x[2i+1]); HF rotates halves (x[i], x[i + hd/2]).
The q/k rows are permuted as HF's convert_llama_weights_to_hf.py does:
w.view(n_heads, hd // 2, 2, dim).transpose(1, 2).reshape(n_heads * hd, dim).
"""
import array
import json
import os
import struct
import sys


def write_safetensors(path, tensors):
    """tensors: list of (name, shape, dtype, raw little-endian bytes)."""
    header = {}
    offset = 0
    for name, shape, dtype, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, data in tensors:
            f.write(data)


def f32_bytes(values):
    a = array.array("f", values)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


def permute_rotary(w, n_heads, dim_out, dim_in):
    """Interleaved-pair rows -> rotate-half rows: new[h*hd + e*hd/2 + i] = old[h*hd + 2i + e]."""
    hd = dim_out // n_heads
    out = array.array("f", bytes(4 * dim_out * dim_in))
    for h in range(n_heads):
        for i in range(hd // 2):
            for e in range(2):
                src = (h * hd + 2 * i + e) * dim_in
                dst = (h * hd + e * (hd // 2) + i) * dim_in
                out[dst:dst + dim_in] = w[src:src + dim_in]
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert_llama2c.py IN.bin OUT_DIR")
    src, out_dir = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        raw = f.read()
    if len(raw) < 28:
        sys.exit(f"{src}: too short for a llama2.c header")
    dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len = struct.unpack("<7i", raw[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    hd = dim // n_heads
    kv_dim = n_kv_heads * hd

    data = array.array("f")
    data.frombytes(raw[28:28 + (len(raw) - 28) // 4 * 4])
    if sys.byteorder != "little":
        data.byteswap()
    pos = 0

    def take(*shape):
        nonlocal pos
        n = 1
        for d in shape:
            n *= d
        if pos + n > len(data):
            sys.exit(f"{src}: truncated (header promises more weights than the file holds)")
        chunk = data[pos:pos + n]
        pos += n
        return chunk

    emb = take(vocab, dim)
    rms_att = take(n_layers, dim)
    wq = take(n_layers, dim, dim)
    wk = take(n_layers, kv_dim, dim)
    wv = take(n_layers, kv_dim, dim)
    wo = take(n_layers, dim, dim)
    rms_ffn = take(n_layers, dim)
    w1 = take(n_layers, hidden, dim)
    w2 = take(n_layers, dim, hidden)
    w3 = take(n_layers, hidden, dim)
    rms_final = take(dim)
    take(seq_len, hd // 2)  # freq_cis_real
    take(seq_len, hd // 2)  # freq_cis_imag
    wcls = None if shared else take(vocab, dim)

    def layer(w, l, rows, cols):
        return w[l * rows * cols:(l + 1) * rows * cols]

    tensors = [("model.embed_tokens.weight", (vocab, dim), "F32", f32_bytes(emb))]
    for l in range(n_layers):
        p = f"model.layers.{l}."
        q = permute_rotary(layer(wq, l, dim, dim), n_heads, dim, dim)
        k = permute_rotary(layer(wk, l, kv_dim, dim), n_kv_heads, kv_dim, dim)
        tensors += [
            (p + "input_layernorm.weight", (dim,), "F32", f32_bytes(layer(rms_att, l, 1, dim))),
            (p + "self_attn.q_proj.weight", (dim, dim), "F32", f32_bytes(q)),
            (p + "self_attn.k_proj.weight", (kv_dim, dim), "F32", f32_bytes(k)),
            (p + "self_attn.v_proj.weight", (kv_dim, dim), "F32",
             f32_bytes(layer(wv, l, kv_dim, dim))),
            (p + "self_attn.o_proj.weight", (dim, dim), "F32", f32_bytes(layer(wo, l, dim, dim))),
            (p + "post_attention_layernorm.weight", (dim,), "F32",
             f32_bytes(layer(rms_ffn, l, 1, dim))),
            (p + "mlp.gate_proj.weight", (hidden, dim), "F32",
             f32_bytes(layer(w1, l, hidden, dim))),
            (p + "mlp.down_proj.weight", (dim, hidden), "F32",
             f32_bytes(layer(w2, l, dim, hidden))),
            (p + "mlp.up_proj.weight", (hidden, dim), "F32", f32_bytes(layer(w3, l, hidden, dim))),
        ]
    tensors.append(("model.norm.weight", (dim,), "F32", f32_bytes(rms_final)))
    if wcls is not None:
        tensors.append(("lm_head.weight", (vocab, dim), "F32", f32_bytes(wcls)))

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_act": "silu",
        "hidden_size": dim,
        "intermediate_size": hidden,
        "num_hidden_layers": n_layers,
        "num_attention_heads": n_heads,
        "num_key_value_heads": n_kv_heads,
        "vocab_size": vocab,
        "max_position_embeddings": seq_len,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": shared,
        "torch_dtype": "float32",
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors)


if __name__ == "__main__":
    main()
