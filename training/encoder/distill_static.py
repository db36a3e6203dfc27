"""Distills static token embeddings from the sentence encoder (the Model2Vec recipe), for the
static_lr member: a title's static embedding is the L2-normalized mean of its tokenizer pieces' rows,
computed without running the encoder (src/classify/static-embedding.ts).

    python training/encoder/distill_static.py --encoder models/encoder [--threads N]

Writes ENCODER/static/: embeddings.i8 (int8, rows x dim), scales.f32 (one per row: row ~ q * scale)
and static.json. Every piece of the tokenizer is run through the encoder alone, as `<s> piece </s>`,
and mean-pooled; the rows are projected by PCA (fitted on every piece's row) to --dim, then weighted
by SIF (a / (a + p), p the piece's unigram probability from the tokenizer), so frequent pieces such
as "▁der" or "," weigh little in a mean. Takes about 2 minutes per core-pair on this machine's CPUs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort

BATCH = 2048
SIF_A = 1e-3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", required=True, help="the converted encoder folder (models/encoder)")
    parser.add_argument("--dim", type=int, default=256, help="PCA dimensions (default 256)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=0, help="distill only the first N pieces (tests)")
    args = parser.parse_args()

    with open(os.path.join(args.encoder, "encoder.json"), encoding="utf-8") as f:
        info = json.load(f)
    with open(os.path.join(args.encoder, "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    if tokenizer["model"]["type"] != "Unigram":
        raise SystemExit("distill_static: expected a Unigram (sentencepiece) tokenizer")
    vocab = tokenizer["model"]["vocab"]
    n = len(vocab) if not args.limit else min(args.limit, len(vocab))
    special = {t["id"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    bos = next(t["id"] for t in tokenizer["added_tokens"] if t["content"] == "<s>")
    eos = next(t["id"] for t in tokenizer["added_tokens"] if t["content"] == "</s>")

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(os.path.join(args.encoder, "onnx", "model_quantized.onnx"), options, providers=["CPUExecutionProvider"])
    started = time.time()
    rows = np.zeros((n, info["dim"]), dtype=np.float32)
    for start in range(0, n, BATCH):
        ids = np.arange(start, min(n, start + BATCH), dtype=np.int64)
        input_ids = np.stack([np.full_like(ids, bos), ids, np.full_like(ids, eos)], axis=1)
        hidden = session.run(["last_hidden_state"], {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)})[0]
        rows[start:start + len(ids)] = hidden.mean(axis=1)
        if (start // BATCH) % 20 == 0:
            print(f"distill_static: {start + len(ids)}/{n} pieces, {time.time() - started:.0f}s", file=sys.stderr, flush=True)

    # PCA over every piece's row (centered), then SIF weights; special tokens get a zero row.
    mean = rows.mean(axis=0)
    centered = rows - mean
    _, _, vt = np.linalg.svd(centered[:: max(1, n // 50000)], full_matrices=False)
    projected = centered @ vt[: args.dim].T
    log_p = np.array([score for _, score in vocab[:n]], dtype=np.float64)
    p = np.exp(log_p - np.logaddexp.reduce(log_p))
    weights = SIF_A / (SIF_A + p)
    weights[[i for i in special if i < n]] = 0.0
    projected *= weights[:, None].astype(np.float32)

    scale = np.maximum(np.abs(projected).max(axis=1), 1e-12) / 127.0
    q = np.round(projected / scale[:, None]).astype(np.int8)
    out = os.path.join(args.encoder, "static")
    os.makedirs(out, exist_ok=True)
    q.tofile(os.path.join(out, "embeddings.i8"))
    scale.astype("<f4").tofile(os.path.join(out, "scales.f32"))
    digest = hashlib.sha256(q.tobytes() + scale.astype("<f4").tobytes()).hexdigest()
    meta = {
        "version": f"static-{args.dim}-{digest[:10]}",
        "rows": n,
        "dim": args.dim,
        "encoderVersion": info["version"],
        "recipe": "Model2Vec: <s> piece </s> mean-pooled, PCA over all pieces, SIF a=1e-3 from unigram scores, int8 per row",
    }
    with open(os.path.join(out, "static.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"distill_static: {meta['version']}, {n} pieces x {args.dim} in {time.time() - started:.0f}s -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
