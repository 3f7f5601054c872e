#!/usr/bin/env python3
"""Write a llama2.c checkpoint and its tokenizer as one GGUF file that llama.cpp loads.

usage: stories260k_to_gguf.py MODEL.bin TOKENIZER.bin OUT.gguf

For checking tpbench's `--backend openai` client against llama.cpp's server with the same
stories260K model tpbench runs itself (scripts/check_llamacpp_server.sh); not a project
dependency. Needs numpy and the `gguf` python package (llama.cpp's gguf-py), nothing else.

MODEL.bin is llama2.c's legacy v0 format: 7 int32 (dim, hidden_dim, n_layers, n_heads,
n_kv_heads, vocab_size, seq_len; a negative vocab_size means an unshared classifier), then fp32
arrays token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real,
freq_cis_imag, [wcls] (scripts/convert_llama2c.py reads the same layout).
TOKENIZER.bin is llama2.c's tokenizer: int32 max_token_length, then per id (float32 score,
int32 length, bytes), spaces written as " " and <s> / </s> as "\\n<s>\\n" / "\\n</s>\\n".

llama.cpp's "llama" architecture rotates interleaved pairs (rope type NORM), the layout of
Meta's and llama2.c's q/k rows, so q/k are written as they are: only Hugging Face checkpoints
need un-permuting. All tensors stay F32 (the model is 260K parameters).
"""
import re
import struct
import sys

import numpy as np
import gguf

BYTE_PIECE = re.compile(r"^<0x[0-9A-F]{2}>$")


def read_checkpoint(path):
    raw = np.fromfile(path, dtype="<u1")
    if raw.size < 28:
        sys.exit(f"{path}: too short for a llama2.c header")
    dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len = struct.unpack(
        "<7i", raw[:28].tobytes())
    shared = vocab > 0
    vocab = abs(vocab)
    head_dim = dim // n_heads
    kv_dim = n_kv_heads * head_dim
    data = raw[28:28 + (raw.size - 28) // 4 * 4].view("<f4")
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        if pos + n > data.size:
            sys.exit(f"{path}: truncated (header promises more weights than the file holds)")
        chunk = data[pos:pos + n].reshape(shape).astype(np.float32)
        pos += n
        return chunk

    w = {"emb": take(vocab, dim), "rms_att": take(n_layers, dim),
         "wq": take(n_layers, dim, dim), "wk": take(n_layers, kv_dim, dim),
         "wv": take(n_layers, kv_dim, dim), "wo": take(n_layers, dim, dim),
         "rms_ffn": take(n_layers, dim), "w1": take(n_layers, hidden, dim),
         "w2": take(n_layers, dim, hidden), "w3": take(n_layers, hidden, dim),
         "rms_final": take(dim)}
    take(seq_len, head_dim // 2)  # freq_cis_real: llama.cpp computes RoPE itself
    take(seq_len, head_dim // 2)  # freq_cis_imag
    w["wcls"] = w["emb"] if shared else take(vocab, dim)
    hp = dict(dim=dim, hidden=hidden, n_layers=n_layers, n_heads=n_heads,
              n_kv_heads=n_kv_heads, vocab=vocab, seq_len=seq_len, head_dim=head_dim)
    return hp, w


def read_tokenizer(path, vocab):
    with open(path, "rb") as f:
        data = f.read()
    pos = 4  # max_token_length
    tokens, scores, types = [], [], []
    while pos < len(data):
        score, length = struct.unpack_from("<fi", data, pos)
        pos += 8
        text = data[pos:pos + length].decode("utf-8")
        pos += length
        i = len(tokens)
        if i == 0:
            text, kind = "<unk>", gguf.TokenType.UNKNOWN
        elif i in (1, 2):
            text, kind = text.strip(), gguf.TokenType.CONTROL
        elif BYTE_PIECE.match(text):
            kind = gguf.TokenType.BYTE
        else:
            text, kind = text.replace(" ", "\u2581"), gguf.TokenType.NORMAL
        tokens.append(text)
        scores.append(score)
        types.append(kind)
    if len(tokens) != vocab:
        sys.exit(f"{path}: {len(tokens)} tokens, the checkpoint's vocab_size is {vocab}")
    if tokens[1] != "<s>" or tokens[2] != "</s>":
        sys.exit(f"{path}: ids 1 and 2 are {tokens[1]!r} and {tokens[2]!r}, not <s> and </s>")
    return tokens, scores, types


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: stories260k_to_gguf.py MODEL.bin TOKENIZER.bin OUT.gguf")
    hp, w = read_checkpoint(sys.argv[1])
    tokens, scores, types = read_tokenizer(sys.argv[2], hp["vocab"])

    out = gguf.GGUFWriter(sys.argv[3], "llama")
    out.add_name("stories260K")
    out.add_context_length(hp["seq_len"])
    out.add_embedding_length(hp["dim"])
    out.add_block_count(hp["n_layers"])
    out.add_feed_forward_length(hp["hidden"])
    out.add_head_count(hp["n_heads"])
    out.add_head_count_kv(hp["n_kv_heads"])
    out.add_rope_dimension_count(hp["head_dim"])
    out.add_layer_norm_rms_eps(1e-5)
    out.add_rope_freq_base(10000.0)
    out.add_file_type(gguf.LlamaFileType.ALL_F32)

    out.add_tokenizer_model("llama")
    out.add_token_list(tokens)
    out.add_token_scores(scores)
    out.add_token_types(types)
    out.add_unk_token_id(0)
    out.add_bos_token_id(1)
    out.add_eos_token_id(2)
    out.add_add_bos_token(True)
    out.add_add_eos_token(False)

    out.add_tensor("token_embd.weight", w["emb"])
    for layer in range(hp["n_layers"]):
        p = f"blk.{layer}."
        out.add_tensor(p + "attn_norm.weight", w["rms_att"][layer])
        out.add_tensor(p + "attn_q.weight", w["wq"][layer])
        out.add_tensor(p + "attn_k.weight", w["wk"][layer])
        out.add_tensor(p + "attn_v.weight", w["wv"][layer])
        out.add_tensor(p + "attn_output.weight", w["wo"][layer])
        out.add_tensor(p + "ffn_norm.weight", w["rms_ffn"][layer])
        out.add_tensor(p + "ffn_gate.weight", w["w1"][layer])
        out.add_tensor(p + "ffn_down.weight", w["w2"][layer])
        out.add_tensor(p + "ffn_up.weight", w["w3"][layer])
    out.add_tensor("output_norm.weight", w["rms_final"])
    out.add_tensor("output.weight", w["wcls"])

    out.write_header_to_file()
    out.write_kv_data_to_file()
    out.write_tensors_to_file()
    out.close()


if __name__ == "__main__":
    main()
