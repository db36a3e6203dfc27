"""Exports fitted members as ONNX graphs that onnxruntime-node serves.

N-gram members take `idx` (int32 [N, K], vocabulary indices, 0 = padding) and `val` (float32
[N, K]); their first layer is a gather-and-sum over the weight rows of the title's n-grams (an
embedding bag), so no dense vocabulary-wide vector is ever built. The dense member takes `dense`
(float32 [N, F], NaN = missing). Every graph outputs `probabilities` (float32 [N, C]).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _bag(prefix: str, weights: np.ndarray) -> tuple[list, list]:
    """Nodes computing sum_k val[n,k] * W[idx[n,k]] -> `{prefix}_sum` [N, D]."""
    inits = [
        numpy_helper.from_array(weights.astype(np.float32), f"{prefix}_W"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), f"{prefix}_axis2"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), f"{prefix}_axis1"),
    ]
    nodes = [
        helper.make_node("Gather", [f"{prefix}_W", "idx"], [f"{prefix}_rows"], axis=0),
        helper.make_node("Unsqueeze", ["val", f"{prefix}_axis2"], [f"{prefix}_val3"]),
        helper.make_node("Mul", [f"{prefix}_rows", f"{prefix}_val3"], [f"{prefix}_weighted"]),
        helper.make_node("ReduceSum", [f"{prefix}_weighted", f"{prefix}_axis1"], [f"{prefix}_sum"], keepdims=0),
    ]
    return nodes, inits


def _ngram_model(name: str, nodes: list, inits: list, n_classes: int) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        name,
        [
            helper.make_tensor_value_info("idx", TensorProto.INT32, ["N", "K"]),
            helper.make_tensor_value_info("val", TensorProto.FLOAT, ["N", "K"]),
        ],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_classes])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="cv-pipeline")
    model.ir_version = 8  # readable by every onnxruntime from 1.10 on, Python and Node alike
    onnx.checker.check_model(model)
    return model


def linear_to_onnx(coef: np.ndarray, intercept: np.ndarray, name: str) -> onnx.ModelProto:
    """coef: [C, V] as scikit-learn stores it."""
    nodes, inits = _bag("l", coef.T)
    inits.append(numpy_helper.from_array(intercept.astype(np.float32), "l_b"))
    nodes += [
        helper.make_node("Add", ["l_sum", "l_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    return _ngram_model(name, nodes, inits, coef.shape[0])


def mlp_to_onnx(coefs: list[np.ndarray], intercepts: list[np.ndarray], name: str) -> onnx.ModelProto:
    """One ReLU hidden layer and a softmax output, as scikit-learn's MLPClassifier fits them."""
    nodes, inits = _bag("h", coefs[0])
    inits += [
        numpy_helper.from_array(intercepts[0].astype(np.float32), "h_b"),
        numpy_helper.from_array(coefs[1].astype(np.float32), "o_W"),
        numpy_helper.from_array(intercepts[1].astype(np.float32), "o_b"),
    ]
    nodes += [
        helper.make_node("Add", ["h_sum", "h_b"], ["h_pre"]),
        helper.make_node("Relu", ["h_pre"], ["h"]),
        helper.make_node("MatMul", ["h", "o_W"], ["o_mm"]),
        helper.make_node("Add", ["o_mm", "o_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    return _ngram_model(name, nodes, inits, coefs[1].shape[1])


def lightgbm_to_onnx(model, n_features: int, name: str) -> onnx.ModelProto:
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    onx = convert_lightgbm(
        model, name=name, initial_types=[("dense", FloatTensorType([None, n_features]))],
        zipmap=False, target_opset=15,  # the converter supports up to 15
    )
    # Keep only the probabilities output, under the name every member uses.
    outputs = [o for o in onx.graph.output if o.name != "label"]
    prob_name = outputs[0].name
    del onx.graph.output[:]
    onx.graph.output.extend(outputs)
    if prob_name != "probabilities":
        onx.graph.node.append(helper.make_node("Identity", [prob_name], ["probabilities"]))
        onx.graph.output[0].name = "probabilities"
    onnx.checker.check_model(onx)
    return onx


def padded_batch(vocab, ngram_lists) -> tuple[np.ndarray, np.ndarray]:
    """The `idx`/`val` inputs for a batch, exactly as TypeScript builds them."""
    ids = [sorted({vocab.index[g] for g in grams if g in vocab.index}) for grams in ngram_lists]
    k = max(1, max(len(i) for i in ids))
    idx = np.zeros((len(ids), k), dtype=np.int32)
    val = np.zeros((len(ids), k), dtype=np.float32)
    for r, row in enumerate(ids):
        if row:
            idx[r, : len(row)] = row
            val[r, : len(row)] = np.float32(1.0 / np.sqrt(len(row)))
    return idx, val


def _dense_model(name: str, nodes: list, inits: list, n_features: int, outputs: list) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["N", n_features])], outputs, inits,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="cv-pipeline")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def dense_linear_to_onnx(coef: np.ndarray, intercept: np.ndarray, name: str) -> onnx.ModelProto:
    """Multinomial logistic regression on `dense` (the encoder member): softmax(x W^T + b)."""
    inits = [numpy_helper.from_array(coef.T.astype(np.float32), "W"), numpy_helper.from_array(intercept.astype(np.float32), "b")]
    nodes = [
        helper.make_node("MatMul", ["dense", "W"], ["mm"]),
        helper.make_node("Add", ["mm", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    out = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", coef.shape[0]])]
    return _dense_model(name, nodes, inits, coef.shape[1], out)


# The nearest-neighbour search quantizes a title's embedding per row to integers in [-63, 63],
# stored as uint8 around a zero point of 64 (NearestTitles.neighbours says why).
TITLE_LEVELS = 63


def nearest_titles_to_onnx(knn, n_features: int, name: str) -> onnx.ModelProto:
    """The NearestTitles member: cosine to the int8 index (cast to float once, at session start),
    top-k, softmax over similarity / temperature times the rows' weights, votes per label,
    normalization, smoothing. Also outputs the
    neighbours' index rows and similarities, which serving shows as the explanation."""
    dim, c = knn.q.shape[1], knn.n_classes
    title_levels, zero_point = float(TITLE_LEVELS), TITLE_LEVELS + 1
    votes = np.zeros((len(knn.y), c), dtype=np.float32)  # one-hot label times the row's weight
    votes[np.arange(len(knn.y)), knn.y] = knn.weight
    inits = [
        numpy_helper.from_array(np.ascontiguousarray(knn.q.T), "index_q"),
        numpy_helper.from_array(knn.scale, "index_scale"),
        numpy_helper.from_array(votes, "index_votes"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
        numpy_helper.from_array(np.array([0.0], dtype=np.float32), "zero_f"),
        numpy_helper.from_array(np.array([dim], dtype=np.int64), "dim"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "two"),
        numpy_helper.from_array(np.array([min(knn.k, len(knn.y))], dtype=np.int64), "k"),
        numpy_helper.from_array(np.array([1.0 / knn.temperature], dtype=np.float32), "inv_t"),
        numpy_helper.from_array(np.array([1.0 - knn.smoothing], dtype=np.float32), "keep"),
        numpy_helper.from_array(np.array([knn.smoothing / c], dtype=np.float32), "floor"),
    ]
    inits += [
        numpy_helper.from_array(np.array([1.0 / title_levels], dtype=np.float32), "inv_levels"),
        numpy_helper.from_array(np.array([1e-12], dtype=np.float32), "tiny"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "unit"),
        numpy_helper.from_array(np.array(zero_point, dtype=np.uint8), "zp_title"),
        numpy_helper.from_array(np.array([float(zero_point)], dtype=np.float32), "zp_title_f"),
    ]
    # Cosine in integers (the title in 7 bits per row, the index in 8 per row), as
    # NearestTitles.neighbours computes it: integer products are exact, so Python and ONNX Runtime
    # rank alike on every CPU, and the u8 x s8 kernel is several times faster than a float product
    # over the whole index.
    nodes = [
        helper.make_node("Slice", ["dense", "zero", "dim", "one"], ["emb"]),
        helper.make_node("Abs", ["emb"], ["emb_abs"]),
        helper.make_node("ReduceMax", ["emb_abs"], ["emb_max"], axes=[1], keepdims=1),
        helper.make_node("Mul", ["emb_max", "inv_levels"], ["emb_scale0"]),
        helper.make_node("Add", ["emb_scale0", "tiny"], ["emb_scale"]),
        helper.make_node("Reshape", ["emb_scale", "flat"], ["emb_scale_1d"]),
        helper.make_node("Mul", ["emb_max", "zero_f"], ["zeros"]),
        helper.make_node("Add", ["zeros", "zp_title_f"], ["zp_f"]),
        helper.make_node("Reshape", ["zp_f", "flat"], ["zp_f_1d"]),
        helper.make_node("Cast", ["zp_f_1d"], ["zp"], to=TensorProto.UINT8),
        helper.make_node("QuantizeLinear", ["emb", "emb_scale_1d", "zp"], ["emb_q"], axis=0),
        helper.make_node("MatMulIntegerToFloat", ["emb_q", "index_q", "unit", "index_scale", "zp_title"], ["dots"], domain="com.microsoft"),
        # The title's scale is one positive number per row: it cannot change the row's ranking, so
        # it multiplies the k best only (a product over the whole index was a fifth of the member).
        helper.make_node("TopK", ["dots", "k"], ["top_dots", "neighbours"], axis=-1, largest=1, sorted=1),
        helper.make_node("Mul", ["top_dots", "emb_scale"], ["similarities"]),
        helper.make_node("Mul", ["similarities", "inv_t"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["w"], axis=-1),
        helper.make_node("Unsqueeze", ["w", "two"], ["w3"]),
        helper.make_node("Gather", ["index_votes", "neighbours"], ["votes"], axis=0),
        helper.make_node("Mul", ["votes", "w3"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "one"], ["p_raw"], keepdims=0),
        helper.make_node("ReduceSum", ["p_raw", "one"], ["total"], keepdims=1),
        helper.make_node("Div", ["p_raw", "total"], ["p"]),
        helper.make_node("Mul", ["p", "keep"], ["p_keep"]),
        helper.make_node("Add", ["p_keep", "floor"], ["probabilities"]),
    ]
    out = [
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", c]),
        helper.make_tensor_value_info("neighbours", TensorProto.INT64, ["N", "K"]),
        helper.make_tensor_value_info("similarities", TensorProto.FLOAT, ["N", "K"]),
    ]
    return _dense_model(name, nodes, inits, n_features, out)
