#!/usr/bin/env python3
"""Emulates the CUDA kernels' rounding on the GPU tests' exact inputs, on the CPU.

usage: emulate_rounding.py [--seeds 1,2] [--skip-runner]

For every 16-bit check in tests/engine/cuda/test_cuda_kernels.cpp (same shapes, same inputs: both sides
draw them from the counter-based generator below, keyed by TPBENCH_TEST_SEED) this runs the
kernel's arithmetic with its rounding points: inputs as T, fp32 arithmetic and accumulation in
the kernel's order of partitions / tiles, the output rounded to T once. It compares the result
with the test's reference rounded to T and prints the worst error in units of the test's
per-element bound (|got - want_T| <= ulps * ulp_T(want_T) + floor). Then it plants bugs (one key
dropped in attention, the GQA mapping h % kv_heads instead of h / group, rope at position + 1)
and prints how far past the bound they land.

It also emulates test_cuda_runner's bf16 and fp16 tiny-model tests (the model made by
scripts/make_tiny_model.py, 4 x 150 teacher-forced decode steps): the worst relative logits
error of a position and the top-1 agreement with the unrounded (CPU runner) path.

Exit status 0 when every correct kernel stays below MAX_CORRECT of its bound and every bug the
tests are meant to catch exceeds it; 1 otherwise; 77 (skipped) without numpy (Debian's
python3-numpy). These are emulated figures: numpy's fp32 summation order is not the GPU's, so
single elements may differ by an ulp of T. To replay a GPU failure, pass its TPBENCH_TEST_SEED
as --seeds.
"""
import argparse
import functools
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("skipped: emulate_rounding.py needs numpy (Debian: python3-numpy)")
    sys.exit(77)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MAX_CORRECT = 0.8  # a correct kernel must stay this far inside its bound (units of the bound)

# ---------------------------------------------------------------------------------------------
# Inputs: the twin of tests/engine/cuda/gpu_test_util.hpp's seeded_values (splitmix64 finaliser of the
# seed, an FNV-1a hash of the stream name and the element index).
GAMMA = np.uint64(0x9E3779B97F4A7C15)


def _fin(z):
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _fnv1a64(name):
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def seeded_bits(seed, stream, n):
    key = _fin(np.array([_fnv1a64(stream) ^ seed], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        return _fin(key + np.arange(1, n + 1, dtype=np.uint64) * GAMMA)


@functools.lru_cache(maxsize=8)  # the types' checks share their draws
def _seeded_uniform(seed, stream, n, lo, hi):
    u = (seeded_bits(seed, stream, n) >> np.uint64(40)).astype(np.float64) * 2.0**-24
    v = (float(lo) + (float(hi) - float(lo)) * u).astype(np.float32)
    v.flags.writeable = False
    return v


def seeded_values(seed, stream, n, lo, hi, t="float"):
    return np.array(round_to(t, _seeded_uniform(seed, stream, n, lo, hi)))


def self_check():
    """The figures tests/engine/cuda/test_cuda_host.cpp (GpuTestInputs) pins on the C++ side."""
    def hexes(values):
        return [float(x).hex() for x in values]
    assert hexes(seeded_values(7, "attention/k", 4, -2, 2, "bfloat16")) == [
        "0x1.f600000000000p-1", "-0x1.c600000000000p+0", "0x1.b800000000000p+0",
        "-0x1.4800000000000p+0"]
    assert hexes(seeded_values(7, "attention/v", 4, -2, 2, "half")) == [
        "0x1.a880000000000p+0", "0x1.1580000000000p-2", "0x1.5ec0000000000p-2",
        "0x1.5780000000000p-5"]
    assert hexes(seeded_values(7, "rmsnorm/x", 4, -3, 3)) == [
        "0x1.2827820000000p+1", "-0x1.c491ba0000000p+0", "-0x1.3000680000000p-2",
        "-0x1.c53eb20000000p+0"]
    assert list(seeded_bits(7, "rope/positions", 3) % np.uint64(5000)) == [4578, 4297, 335]
    assert ulp_at("bfloat16", np.array([1.0, -0.75]))[0] == 2.0**-7
    assert ulp_at("half", np.array([1e-6, 0.0])).tolist() == [2.0**-24, 2.0**-24]


# ---------------------------------------------------------------------------------------------
# Element types: round to nearest even from fp32, and the spacing of T's values at a magnitude.
MANTISSA = {"half": 10, "bfloat16": 7, "float": 23}
EMIN = {"half": -14, "bfloat16": -126, "float": -126}


def round_to(t, x):
    x = np.asarray(x, dtype=np.float32)
    if t == "float":
        return x
    if t == "half":
        return x.astype(np.float16).astype(np.float32)
    b = x.view(np.uint32).astype(np.uint64)
    b = ((b + np.uint64(0x7FFF) + ((b >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)) << np.uint64(16)
    return b.astype(np.uint32).view(np.float32)


def ulp_at(t, x):
    a = np.abs(np.asarray(x, dtype=np.float64))
    e = np.full(a.shape, EMIN[t], dtype=np.int64)
    nz = a > 0
    e[nz] = np.maximum(np.floor(np.log2(a[nz])).astype(np.int64), EMIN[t])
    return np.ldexp(1.0, (e - MANTISSA[t]).astype(np.int32))


def bound_units(t, got_t, want, ulps, floor):
    """Worst |got_t - round_T(want)| / (ulps * ulp_T(round_T(want)) + floor)."""
    want_t = round_to(t, np.asarray(want, dtype=np.float64).astype(np.float32)).astype(np.float64)
    diff = np.abs(np.asarray(got_t, dtype=np.float64) - want_t)
    return float(np.max(diff / (ulps * ulp_at(t, want_t) + floor)))


# ---------------------------------------------------------------------------------------------
# Elementwise kernels (kernels/cuda/rmsnorm.cu, silu_mul.cu, rope_kv_cache.cu) and their CPU twins
# (kernels/cpu). f32 = np.float32: every operation below rounds to fp32 as the kernel does.
f32 = np.float32


def rmsnorm_gpu(x, w, eps, t):
    # fp32 sum of squares (block reduction), rsqrtf, y = x * scale * w in fp32, rounded to T.
    sum_sq = np.sum(x * x, axis=1, dtype=f32)
    scale = (f32(1) / np.sqrt(sum_sq / f32(x.shape[1]) + f32(eps))).astype(f32)
    return round_to(t, (x * scale[:, None]) * w[None, :])


def rmsnorm_cpu(x, w, eps):
    # cpu::rmsnorm: double sum of squares, fp32 scale, fp32 products.
    sum_sq = np.sum(x.astype(np.float64) ** 2, axis=1)
    scale = (1.0 / np.sqrt(sum_sq / x.shape[1] + f32(eps))).astype(f32)
    return (x * scale[:, None]) * w[None, :]


def silu_gpu(g, u, t):
    return round_to(t, g / (f32(1) + np.exp(-g)) * u)


def silu_cpu(g, u):
    g64 = g.astype(np.float64)
    return (g64 / (1 + np.exp(-g64))).astype(f32) * u


def rope_cos_sin(inv_freq, positions):
    angle = positions[:, None].astype(np.float64) * inv_freq[None, :].astype(np.float64)
    return np.cos(angle).astype(f32), np.sin(angle).astype(f32)


def rope_k_gpu(k, cos, sin, kv_heads, hd, t):
    # y1 = x1 * c - x2 * s may contract to an fma: one product exact, then one fp32 rounding.
    half = hd // 2
    k = k.reshape(len(k), kv_heads, hd).astype(np.float64)
    x1, x2 = k[:, :, :half], k[:, :, half:]
    c, s = cos[:, None, :].astype(np.float64), sin[:, None, :].astype(np.float64)
    x2s, x1s = (x2 * s).astype(f32).astype(np.float64), (x1 * s).astype(f32).astype(np.float64)
    y1, y2 = (x1 * c - x2s).astype(f32), (x2 * c + x1s).astype(f32)
    return round_to(t, np.concatenate([y1, y2], axis=2).reshape(len(k), -1))


def rope_k_cpu(k, cos, sin, kv_heads, hd):
    half = hd // 2
    k = k.reshape(len(k), kv_heads, hd)
    x1, x2 = k[:, :, :half], k[:, :, half:]
    c, s = cos[:, None, :], sin[:, None, :]
    return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], axis=2).reshape(len(k), -1)


# ---------------------------------------------------------------------------------------------
# Attention (kernels/cuda/decode_attention.cu, prefill_attention.cu): q fp32, K/V as T, scores
# and the online softmax in fp32 over partitions (decode: 256 keys, block z folds partitions z,
# z + Z, ..., then the merge) or tiles (prefill: 32 keys), the output rounded to T once.
DECODE_PARTITION = 256
DECODE_TARGET_BLOCKS = 1024
PREFILL_TILE_K = 32


def decode_splits(keys):
    return (keys + DECODE_PARTITION - 1) // DECODE_PARTITION


def grid_z(heads, seqs, max_splits):
    pairs = heads * seqs
    return int(min(max(-(-DECODE_TARGET_BLOCKS // pairs), 1), max(max_splits, 1)))


def head_map(heads, kv_heads, bug):
    group = heads // kv_heads
    return np.array([h % kv_heads if bug == "gqa_mod" else h // group for h in range(heads)])


def fold(state, s, v):
    """One online-softmax step of scores s [H, n, k] (-inf: masked) over values v [H, k, hd]."""
    run_max, run_sum, acc = state
    m = np.maximum(run_max, np.max(s, axis=2))
    with np.errstate(invalid="ignore"):
        rescale = np.where(run_max == -np.inf, f32(0), np.exp(run_max - m)).astype(f32)
        e = np.where(s == -np.inf, f32(0), np.exp(s - m[:, :, None])).astype(f32)
    run_sum = (run_sum * rescale + np.sum(e, axis=2, dtype=f32)).astype(f32)
    acc = (acc * rescale[:, :, None] + np.matmul(e, v)).astype(f32)
    return m.astype(f32), run_sum, acc


def attention_gpu(q, K, V, positions, kv_of_head, chunk, n_z, t, drop=None):
    """q [n, H, hd] at key positions `positions` (query i sees keys 0..positions[i]); K, V
    [keys, KVH, hd]. Returns [n, H, hd] rounded to T. drop [n, H]: a key each query head leaves
    out (a bug; -1 for none). Heads lead the internal shapes: [H, n, keys]."""
    n, H, hd = q.shape
    scale = f32(1) / np.sqrt(f32(hd))
    keys = int(positions.max()) + 1
    Kh = np.ascontiguousarray(K[:keys].transpose(1, 2, 0))[kv_of_head]  # [H, hd, keys]
    Vh = np.ascontiguousarray(V[:keys].transpose(1, 0, 2))[kv_of_head]  # [H, keys, hd]
    s = (np.matmul(q.transpose(1, 0, 2), Kh) * scale).astype(f32)
    mask = np.broadcast_to((np.arange(keys)[None, :] > positions[:, None])[None], s.shape)
    if drop is not None:
        mask = mask | (np.arange(keys)[None, None, :] == np.asarray(drop).T[:, :, None])
    s[mask] = -np.inf
    parts = [(a, min(a + chunk, keys)) for a in range(0, keys, chunk)]
    items = []
    for z in range(n_z):
        if not parts[z::n_z]:
            continue  # a block past the context returns at once; the merge skips its item
        state = (np.full((H, n), -np.inf, f32), np.zeros((H, n), f32), np.zeros((H, n, hd), f32))
        for a, b in parts[z::n_z]:
            state = fold(state, s[:, :, a:b], Vh[:, a:b])
        items.append(state)
    if len(items) == 1:
        out = items[0][2] / items[0][1][:, :, None]
    else:  # decode_merge_kernel
        m = np.max(np.stack([it[0] for it in items]), axis=0)
        denom = np.zeros((H, n), f32)
        acc = np.zeros((H, n, hd), f32)
        for run_max, run_sum, a in items:
            w = np.exp(run_max - m).astype(f32)
            denom = (denom + run_sum * w).astype(f32)
            acc = (acc + a * w[:, :, None]).astype(f32)
        out = acc / denom[:, :, None]
    return round_to(t, out.astype(f32).transpose(1, 0, 2))


def attention_exact(q, K, V, positions, kv_of_head):
    n, H, hd = q.shape
    q = q.astype(np.float64)
    Kh, Vh = K[:, kv_of_head, :].astype(np.float64), V[:, kv_of_head, :].astype(np.float64)
    keys = int(positions.max()) + 1
    s = np.einsum("nhd,khd->nhk", q, Kh[:keys]) / math.sqrt(hd)
    s[np.broadcast_to((np.arange(keys)[None, :] > positions[:, None])[:, None, :], s.shape)] = -np.inf
    p = np.exp(s - s.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    return np.einsum("nhk,khd->nhd", p, Vh[:keys])


# The test cases of test_cuda_kernels.cpp's check_attention (keep in step with that file).
P = DECODE_PARTITION
DOMINANT_KEYS = {  # test_cuda_kernels.cpp kDominantKeys: per sequence, each head's planted key
    2999: [0, 255, 256, 1279, 1280, 2815, 2816, 2999],
    699: [0, 1, 255, 256, 511, 512, 698, 699],
    256: [0, 15, 16, 127, 200, 255, 256, 256],
    0: [0] * 8,
}
DOMINANT_CHUNKS = [(2999, 1), (699, 1), (256, 1), (0, 1)]


def attention_cases():
    cases = []

    def add(name, chunks, heads, kv, hd, decode, max_splits=0, scalar=False, dominant=False):
        cases.append(dict(name=name, chunks=chunks, heads=heads, kv=kv, hd=hd, decode=decode,
                          max_splits=max_splits, scalar=scalar, dominant=dominant))

    add("DecodeAttentionAcrossSplitBoundaries",
        [(0, 1), (16, 1), (P - 2, 1), (P - 1, 1), (P, 1), (5 * P + 12, 1)], 8, 2, 80, True)
    folds = [(5 * P + 40, 1), (0, 1), (P, 1), (2 * P - 1, 1), (3 * P + 7, 1)]
    for ms in (1, 2, 64):
        add(f"DecodeAttentionFolds max_splits {ms} hd 64", folds, 4, 2, 64, True, ms)
        add(f"DecodeAttentionFolds max_splits {ms} hd 90", folds, 2, 1, 90, True, ms)
        add(f"DecodeAttentionFolds max_splits {ms} hd 8", folds, 4, 4, 8, True, ms)
    add("DecodeAttentionLlamaShape", [(700, 1), (33, 1), (3000, 1)], 32, 32, 128, True)
    for hd in (128, 64):
        for scalar in (False, True):
            path = "scalar" if scalar else "vector"
            add(f"DecodeAttentionLongContextBothPaths hd {hd} {path}",
                [(2999, 1), (699, 1), (33, 1)], 8, 2, hd, True, 0, scalar)
            for ms in (0, 5):
                add(f"DecodeAttentionOneDominantKeyPerHead hd {hd} {path} max_splits {ms}",
                    DOMINANT_CHUNKS, 8, 2, hd, True, ms, scalar, True)
    add("PrefillAttentionVariableLengths",
        [(0, 40), (13, 17), (100, 33), (0, 16), (31, 1), (0, 1), (5, 75)], 6, 3, 80, False)
    add("PrefillAttentionLlamaShapeMqa", [(0, 130), (64, 64)], 8, 1, 128, False)
    add("DecodeAttentionHeadDim256", [(300, 1), (0, 1), (40, 1)], 4, 2, 256, True)
    add("PrefillAttentionHeadDim256", [(0, 37), (20, 9)], 4, 2, 256, False)
    return cases


def attention_inputs(seed, case, t):
    """The test's q [tokens, q_stride] and dense K, V [positions of all sequences, kvw]."""
    heads, kv, hd = case["heads"], case["kv"], case["hd"]
    qw, kvw = heads * hd, kv * hd
    q_stride = qw + 2 * kvw
    tokens = sum(n for _, n in case["chunks"])
    positions = sum(s + n for s, n in case["chunks"])
    q = seeded_values(seed, "attention/q", tokens * q_stride, -2, 2).reshape(tokens, q_stride)
    K = seeded_values(seed, "attention/k", positions * kvw, -2, 2, t).reshape(positions, kvw)
    V = seeded_values(seed, "attention/v", positions * kvw, -2, 2, t).reshape(positions, kvw)
    if case["dominant"]:
        group = heads // kv
        first, off = 0, 0
        for start, n in case["chunks"]:
            target = math.log(start + n) + 2.0
            for h, p in enumerate(DOMINANT_KEYS[start]):
                k = [float(x) for x in K[off + p, (h // group) * hd:(h // group + 1) * hd]]
                ss = 0.0
                for x in k:
                    ss += x * x
                c = target * math.sqrt(hd) / ss
                q[first, h * hd:(h + 1) * hd] = np.array([c * x for x in k]).astype(f32)
            first += n
            off += start + n
    return q, K, V


def attention_bugs(case):
    """The bugs emulated for a case, and those its check must catch."""
    bugs, must = [], []
    if 1 < case["kv"] < case["heads"]:
        bugs.append("gqa_mod")
        must.append("gqa_mod")
    if case["dominant"]:
        bugs.append("drop_dominant")
        must += ["drop_dominant", "drop_newest"]
    bugs.append("drop_newest")
    return bugs, must


def check_attention_case(seed, case, t, bugs):
    """Worst error in units of the bound over the case's sequences, for the correct kernel
    (key None) and each bug: 'gqa_mod' (KV head h % kv_heads), 'drop_newest' (every query loses
    its newest key) or 'drop_dominant' (each head loses its planted key)."""
    heads, kv, hd = case["heads"], case["kv"], case["hd"]
    q, K, V = attention_inputs(seed, case, t)
    floor = 2.0**-16 * float(np.max(np.abs(V)))
    n_z = 1
    if case["decode"]:
        max_splits = case["max_splits"] or max(decode_splits(s + n) for s, n in case["chunks"])
        n_z = grid_z(heads, len(case["chunks"]), max_splits)
    chunk = DECODE_PARTITION if case["decode"] else PREFILL_TILE_K
    worst = dict.fromkeys([None] + bugs, 0.0)
    first, off = 0, 0
    for start, n in case["chunks"]:
        qs = q[first:first + n, :heads * hd].reshape(n, heads, hd)
        Ks = K[off:off + start + n].reshape(-1, kv, hd)
        Vs = V[off:off + start + n].reshape(-1, kv, hd)
        pos = np.arange(start, start + n)
        want = attention_exact(qs, Ks, Vs, pos, head_map(heads, kv, None))
        for bug in worst:
            drop = None  # a query whose context is one key keeps it
            if bug == "drop_newest":
                drop = np.where(pos > 0, pos, -1)[:, None].repeat(heads, axis=1)
            elif bug == "drop_dominant":
                planted = np.array(DOMINANT_KEYS[start])
                drop = np.where(start > 0, planted, -1)[None, :].repeat(n, axis=0)
            got = attention_gpu(qs, Ks, Vs, pos, head_map(heads, kv, bug), chunk, n_z, t, drop)
            worst[bug] = max(worst[bug], bound_units(t, got, want, 2, floor))
        first += n
        off += start + n
    return worst


# ---------------------------------------------------------------------------------------------
# The elementwise checks of test_cuda_kernels.cpp (same shapes, streams and bounds).
def check_rmsnorm(seed, t):
    rows, dim = 37, 1111
    x = seeded_values(seed, "rmsnorm/x", rows * dim, -3, 3).reshape(rows, dim)
    w = seeded_values(seed, "rmsnorm/weight", dim, 0.5, 1.5)
    return bound_units(t, rmsnorm_gpu(x, w, 1e-5, t), rmsnorm_cpu(x, w, 1e-5), 2, 0.0)


def check_add_rmsnorm(seed, t):
    rows, dim = 23, 4099
    res = seeded_values(seed, "add_rmsnorm/residual", rows * dim, -2, 2).reshape(rows, dim)
    delta = seeded_values(seed, "add_rmsnorm/delta", rows * dim, -2, 2).reshape(rows, dim)
    w = seeded_values(seed, "add_rmsnorm/weight", dim, 0.5, 1.5)
    x = (res + delta).astype(f32)  # the same fp32 add on both sides
    return bound_units(t, rmsnorm_gpu(x, w, 1e-6, t), rmsnorm_cpu(x, w, 1e-6), 2, 0.0)


def check_silu(seed, t):
    rows, cols = 13, 1001
    stride = 2 * cols + 5
    buf = seeded_values(seed, "silu_mul/gate_up", rows * stride, -6, 6).reshape(rows, stride)
    g, u = buf[:, :cols], buf[:, cols:2 * cols]
    return bound_units(t, silu_gpu(g, u, t), silu_cpu(g, u), 2, 0.0)


def check_rope(seed, t, bug=None):
    n, heads, kv, hd = 29, 6, 2, 34
    qw, kvw = heads * hd, kv * hd
    stride = qw + 2 * kvw + 3
    inv_freq = np.array([1.0 / 10000.0 ** (2.0 * i / hd) for i in range(hd // 2)]).astype(f32)
    positions = (seeded_bits(seed, "rope/positions", n) % np.uint64(5000)).astype(np.int64)
    fused = seeded_values(seed, "rope/fused", n * stride, -2, 2).reshape(n, stride)
    k = fused[:, qw:qw + kvw]
    cos, sin = rope_cos_sin(inv_freq, positions)
    gcos, gsin = rope_cos_sin(inv_freq, positions + 1) if bug == "position_plus_1" else (cos, sin)
    got = rope_k_gpu(k, gcos, gsin, kv, hd, t)
    floor = 4 * 2.0**-24 * float(np.max(np.abs(k)))
    return bound_units(t, got, rope_k_cpu(k, cos, sin, kv, hd), 2, floor)


# ---------------------------------------------------------------------------------------------
# test_cuda_runner's tiny-model tests: CudaModelRunner's rounding points (rmsnorm out, K/V in the
# cache, attention out, silu out as T; GEMMs of T inputs into fp32; residual, q and logits fp32)
# against the unrounded fp32 path of CpuModelRunner (computed here in float64).
def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        raw = data[a:b]
        if meta["dtype"] == "F16":
            v = np.frombuffer(raw, dtype="<f2").astype(f32)
        elif meta["dtype"] == "BF16":
            v = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(f32)
        else:
            v = np.frombuffer(raw, dtype="<f4").astype(f32)
        out[name] = v.reshape(meta["shape"])
    return out


def runner_tokens(n_seqs, length, vocab):
    state, seqs = 2024, []
    for _ in range(n_seqs):
        toks = []
        for _ in range(length):
            state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
            toks.append((state >> 8) % vocab)
        seqs.append(toks)
    return seqs


def runner_forward(W, cfg, tokens, t, bug=None):
    """Logits [len, vocab] of one sequence decoded one token a step. t None: unrounded float64."""
    rnd = (lambda x: x.astype(np.float64)) if t is None else (lambda x: round_to(t, x).astype(np.float64))
    acc = (lambda x: x) if t is None else (lambda x: x.astype(f32).astype(np.float64))
    D, H, KV = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, L, eps = D // H, len(tokens), cfg["rms_norm_eps"]
    half = hd // 2
    inv_freq = np.array([1.0 / cfg["rope_theta"] ** (2.0 * i / hd) for i in range(half)]).astype(f32)
    cos, sin = rope_cos_sin(inv_freq, np.arange(L))
    cos, sin = cos.astype(np.float64), sin.astype(np.float64)

    def norm(x, w):
        return rnd(x / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps) * w)

    def rope(x, heads):
        x = x.reshape(L, heads, hd)
        x1, x2 = x[:, :, :half], x[:, :, half:]
        c, s = cos[:, None, :], sin[:, None, :]
        return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], axis=2)

    x = W["model.embed_tokens.weight"][tokens].astype(np.float64)
    kv_of = head_map(H, KV, bug)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = norm(x, W[p + "input_layernorm.weight"])
        q = acc(h @ W[p + "self_attn.q_proj.weight"].T)
        k = acc(h @ W[p + "self_attn.k_proj.weight"].T)
        v = acc(h @ W[p + "self_attn.v_proj.weight"].T)
        q, K, V = acc(rope(q, H)), rnd(rope(k, KV)), rnd(v.reshape(L, KV, hd))
        s = np.einsum("ihd,jhd->hij", q, K[:, kv_of, :]) / math.sqrt(hd)
        mask = np.arange(L)[None, :] > np.arange(L)[:, None]
        if bug == "drop_newest":
            mask = mask | (np.eye(L, dtype=bool) & (np.arange(L) > 0)[:, None])
        s[:, mask] = -np.inf
        pr = np.exp(s - s.max(axis=2, keepdims=True))
        pr /= pr.sum(axis=2, keepdims=True)
        att = rnd(np.einsum("hij,jhd->ihd", pr, V[:, kv_of, :]).reshape(L, H * hd))
        x = acc(x + acc(att @ W[p + "self_attn.o_proj.weight"].T))
        h = norm(x, W[p + "post_attention_layernorm.weight"])
        g = acc(h @ W[p + "mlp.gate_proj.weight"].T)
        u = acc(h @ W[p + "mlp.up_proj.weight"].T)
        act = rnd(g / (1 + np.exp(-g)) * u)
        x = acc(x + acc(act @ W[p + "mlp.down_proj.weight"].T))
    h = norm(x, W["model.norm.weight"])
    return acc(h @ W["lm_head.weight"].T)


def emulate_runner(dtype, model_dir):
    """{bug: (worst relative error of a position, top-1 agreements, positions)} of the runner
    test's model in `dtype` (BF16 or F16); bug None is the correct GPU path."""
    args = ["--layers", "2", "--dim", "128", "--heads", "4", "--kv-heads", "2", "--intermediate",
            "256", "--vocab", "256", "--dtype", dtype, "--seed", "11"]
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make_tiny_model.py"), model_dir,
                    "--no-tokenizer"] + args, check=True)
    W = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    t = {"BF16": "bfloat16", "F16": "half"}[dtype]
    results = {b: [0.0, 0, 0] for b in (None, "gqa_mod", "drop_newest")}
    for toks in runner_tokens(4, 150, cfg["vocab_size"]):
        want = runner_forward(W, cfg, toks, None)
        for bug, r in results.items():
            got = runner_forward(W, cfg, toks, t, bug)
            r[0] = max(r[0], float(np.max(np.max(np.abs(got - want), axis=1)
                                          / np.max(np.abs(want), axis=1))))
            r[1] += int(np.sum(np.argmax(got, axis=1) == np.argmax(want, axis=1)))
            r[2] += len(toks)
    return {b: tuple(r) for b, r in results.items()}


# test_cuda_runner.cpp's limits per checkpoint dtype: (largest relative error, top-1 agreement).
# fp16's is bf16's scaled by the ratio of their ulps (2^-11 / 2^-8).
RUNNER_LIMITS = {"BF16": (2e-2, 0.99), "F16": (2.5e-3, 0.99)}


# ---------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2",
                    help="TPBENCH_TEST_SEED values to emulate (comma separated)")
    ap.add_argument("--skip-runner", action="store_true", help="only the kernel checks")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    self_check()
    failures = []

    def verdict(label, correct, bugs, must_catch):
        line = f"  {label:<62} correct {correct:6.3f}"
        if correct >= MAX_CORRECT:
            failures.append(f"{label}: a correct kernel reaches {correct:.3f} of the bound")
        for name, value in bugs.items():
            line += f"  {name} {value:9.3g}"
            if name in must_catch and not value > 1.0:
                failures.append(f"{label}: bug {name} stays inside the bound ({value:.3g})")
        print(line)

    print(f"Kernel checks, worst |got - want_T| in units of the per-element bound "
          f"(emulated, seeds {args.seeds}; < 1 passes, bugs must exceed 1)")
    types = ("bfloat16", "half")
    # Case by case, seed by seed, both types: the types' checks share their (cached) draws.
    attention = {}
    for case in attention_cases():
        bugs, _ = attention_bugs(case)
        for t in types:
            attention[t, case["name"]] = []
        for seed in seeds:
            for t in types:
                attention[t, case["name"]].append(check_attention_case(seed, case, t, bugs))
    for t in types:
        print(f"{t}:")
        verdict("RmsNorm", max(check_rmsnorm(s, t) for s in seeds), {}, ())
        verdict("AddRmsNorm", max(check_add_rmsnorm(s, t) for s in seeds), {}, ())
        verdict("SiluMul", max(check_silu(s, t) for s in seeds), {}, ())
        verdict("RopeKvCache (k)", max(check_rope(s, t) for s in seeds),
                {"pos+1": min(check_rope(s, t, "position_plus_1") for s in seeds)}, ("pos+1",))
        for case in attention_cases():
            bugs, must = attention_bugs(case)
            runs = attention[t, case["name"]]
            verdict(case["name"], max(r[None] for r in runs),
                    {b: min(r[b] for r in runs) for b in bugs}, must)

    if not args.skip_runner:
        print("Runner tiny-model tests (emulated; worst relative logits error of a position, "
              "top-1 agreement of 600 positions):")
        with tempfile.TemporaryDirectory() as tmp:
            for dtype in ("BF16", "F16"):
                res = emulate_runner(dtype, os.path.join(tmp, dtype))
                max_err, min_agree = RUNNER_LIMITS[dtype]
                for bug, (worst, agree, total) in res.items():
                    ok = worst < max_err and agree / total >= min_agree
                    print(f"  {dtype} {bug or 'correct':<12} worst {worst:.4g} (limit {max_err:g})"
                          f"  agreement {agree}/{total} (limit {min_agree:g})"
                          f"  -> {'passes' if ok else 'fails'}")
                    if bug is None and not (worst < max_err / 2 and agree / total >= min_agree):
                        failures.append(f"{dtype} runner: correct path too close to the limits")
                    if bug is not None and ok:
                        failures.append(f"{dtype} runner: bug {bug} passes the limits")

    for f in failures:
        print("FAIL:", f)
    print("emulation:", "OK" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
