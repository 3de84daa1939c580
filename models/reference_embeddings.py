# Independent reference for the tests of the Rust sentence embedding (all-MiniLM-L6-v2).
#
# A self-contained numpy (float64) implementation of the BERT forward pass, reading the model's
# safetensors directly and tokenizing with Hugging Face's `tokenizers` from tokenizer.json; no torch,
# no transformers, no sentence-transformers. Sentence embedding = mean of the last hidden state over
# the real tokens, then L2-normalised, as sentence-transformers computes it. It prints the first 8
# dimensions of each test sentence's embedding and the cosine similarities of the pairs, rounded to
# 6 decimals, for the Rust test to compare against.
#
# Requirements: pip install numpy safetensors tokenizers
# Run from the repository root:
#   python3 models/reference_embeddings.py [MODEL_DIR]
# MODEL_DIR defaults to ~/.cache/warmline/models/all-MiniLM-L6-v2 (model.safetensors,
# tokenizer.json, config.json).

import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MAX_TOKENS = 256  # sentence-transformers' max_seq_length, special tokens included

SENTENCES = [
    "Our webhook deliveries to https://hooks.acme.io/in fail with HTTP 401",
    "Every event you push to our endpoint is rejected with a 401 by our signature check",
    "How do I download my invoices?",
]
PAIRS = [(0, 1), (0, 2), (1, 2)]

_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    # exact GELU (erf form), as BERT's "gelu"
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def linear(x, t, prefix):
    # a Linear weight is [out, in]
    return x @ t[prefix + ".weight"].T + t[prefix + ".bias"]


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    raw = load_file(os.path.join(model_dir, "model.safetensors"))
    # Some exports prefix the names with "bert."; accept both.
    t = {}
    for k, v in raw.items():
        if k.startswith("bert."):
            k = k[len("bert."):]
        t[k] = v.astype(np.float64) if v.dtype.kind == "f" else v
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    tok.enable_truncation(max_length=MAX_TOKENS)
    return cfg, t, tok


def embed(text, cfg, t, tok):
    enc = tok.encode(text)
    ids = np.array(enc.ids, dtype=np.int64)
    mask = np.array(enc.attention_mask, dtype=np.float64)
    n = len(ids)
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    hd = hidden // heads
    eps = cfg["layer_norm_eps"]

    x = (
        t["embeddings.word_embeddings.weight"][ids]
        + t["embeddings.position_embeddings.weight"][np.arange(n)]
        + t["embeddings.token_type_embeddings.weight"][np.zeros(n, dtype=np.int64)]
    )
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)

    # additive mask (all zeros for one unpadded sentence, kept for completeness)
    att_bias = (1.0 - mask)[None, None, :] * -1e9

    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = linear(x, t, p + "attention.self.query").reshape(n, heads, hd).transpose(1, 0, 2)
        k = linear(x, t, p + "attention.self.key").reshape(n, heads, hd).transpose(1, 0, 2)
        v = linear(x, t, p + "attention.self.value").reshape(n, heads, hd).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd) + att_bias
        ctx = (softmax(scores) @ v).transpose(1, 0, 2).reshape(n, hidden)
        a = linear(ctx, t, p + "attention.output.dense")
        x = layer_norm(
            a + x,
            t[p + "attention.output.LayerNorm.weight"],
            t[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        h = gelu(linear(x, t, p + "intermediate.dense"))
        o = linear(h, t, p + "output.dense")
        x = layer_norm(
            o + x, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], eps
        )

    pooled = (x * mask[:, None]).sum(axis=0) / mask.sum()
    return pooled / np.linalg.norm(pooled), enc.tokens


def main():
    default = os.path.join(os.path.expanduser("~"), ".cache", "warmline", "models", "all-MiniLM-L6-v2")
    model_dir = sys.argv[1] if len(sys.argv) > 1 else default
    cfg, t, tok = load(model_dir)
    vecs = []
    for i, s in enumerate(SENTENCES):
        v, tokens = embed(s, cfg, t, tok)
        vecs.append(v)
        print(f"{i}: tokens={len(tokens)} norm={np.linalg.norm(v):.6f}")
        print("   first8=[" + ", ".join(f"{x:.6f}" for x in v[:8]) + "]")
    for a, b in PAIRS:
        print(f"cos({a},{b}) = {float(vecs[a] @ vecs[b]):.6f}")


if __name__ == "__main__":
    main()
