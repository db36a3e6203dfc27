"""The ensemble members, one class each (REGISTRY). Each sees a different view of a title and
predicts one task; gbdt is the only one that reads the profile context.
"""
from __future__ import annotations

import warnings

# LightGBM names its columns at fit time and scikit-learn then warns on every plain-array predict.
warnings.filterwarnings("ignore", message="X does not have valid feature names")

import lightgbm as lgb
import numpy as np
import onnx
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from . import onnx_export
from .data import CLASSES, Vocabulary
from .options import DEFAULT_STATIC_MEMBERS, ENCODER_MEMBERS, KNOWN_MEMBERS, MEMBERS, STATIC_MEMBERS  # noqa: F401 (re-exported)

KNN = {"k": 10, "temperature": 0.02, "smoothing": 0.01}


def full_proba(model, x, n_classes: int) -> np.ndarray:
    """Probabilities in class-list order, zero for classes the model never saw."""
    p = model.predict_proba(x)
    out = np.zeros((x.shape[0], n_classes), dtype=np.float64)
    out[:, model.classes_] = p
    return out


class Member:
    """One member for one task: what it reads, how it fits, how it exports to ONNX. A new member is
    one subclass registered in REGISTRY (and its ONNX graph reproduced by src/classify)."""

    name: str
    # What serving feeds it (manifest `input`): n-grams, the dense title/context features, the
    # static embedding, or the sentence-encoder features.
    input: str
    # The n-gram kinds it reads (n-gram members only): character, word, domain.
    prefixes: tuple[str, ...] = ()

    def __init__(self, task: str, seed: int, params: dict):
        self.task, self.seed, self.params = task, seed, params
        self.n_classes = len(CLASSES[task])
        self.vocab: Vocabulary | None = None
        self.model = None

    def features(self, ds, idx):
        return self.vocab.matrix([ds.rows[i]["ngrams"] for i in idx])

    def fit(self, ds, idx: np.ndarray, y: np.ndarray, w: np.ndarray, vocab: Vocabulary | None):
        self.vocab = vocab
        self.model = self.fit_model(ds, idx, self.features(ds, idx), y, w)
        return self

    def fit_model(self, ds, idx, x, y, w):
        raise NotImplementedError

    def predict(self, ds, idx: np.ndarray) -> np.ndarray:
        return full_proba(self.model, self.features(ds, idx), self.n_classes)

    def to_onnx(self, ds) -> onnx.ModelProto:
        raise NotImplementedError

    def onnx_feeds(self, ds, idx) -> dict:
        """The ONNX graph's inputs for rows `idx` (the golden set)."""
        i, v = onnx_export.padded_batch(self.vocab, [ds.rows[r]["ngrams"] for r in idx])
        return {"idx": i, "val": v}

    def neighbours(self) -> list | None:
        """The [title, label] rows a nearest-neighbour member shows as its explanation; None for others."""
        return None


class NgramLR(Member):
    """Multinomial logistic regression on character 2-5-grams and word 1-2-grams."""

    name, input, prefixes = "ngram_lr", "ngrams", ("c:", "w:", "d:")

    def fit_model(self, ds, idx, x, y, w):
        return LogisticRegression(C=self.params.get("lr_c", 8.0), max_iter=1000, tol=1e-4).fit(x, y, sample_weight=w)

    def to_onnx(self, ds):
        return onnx_export.linear_to_onnx(self.model.coef_, self.model.intercept_, f"{self.name}_{self.task}")


class WordMLP(Member):
    """A one-hidden-layer network on word 1-2-grams only."""

    name, input, prefixes = "word_mlp", "ngrams", ("w:", "d:")

    def fit_model(self, ds, idx, x, y, w):
        model = MLPClassifier(
            hidden_layer_sizes=(self.params.get("mlp_hidden", 32),), alpha=self.params.get("mlp_alpha", 1e-4),
            max_iter=self.params.get("mlp_epochs", 40), random_state=self.seed, batch_size=256,
        )
        # MLPClassifier has no sample weights: repeat rows by their (rounded) weight instead.
        order = np.repeat(np.arange(len(y)), np.maximum(1, np.round(w).astype(int)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget is intended
            return model.fit(x[order], y[order])

    def to_onnx(self, ds):
        return onnx_export.mlp_to_onnx(self.model.coefs_, self.model.intercepts_, f"{self.name}_{self.task}")


class Gbdt(Member):
    """LightGBM on the dense features: keyword-rule scores, language, title shape, profile context."""

    name, input = "gbdt", "dense"

    def features(self, ds, idx):
        return ds.dense[idx]

    def fit_model(self, ds, idx, x, y, w):
        # Context dropout: every CV row also as a bare title (its one-position-profile view).
        # Measured and off by default (README, Evaluation protocols).
        cv = np.isin(ds.kind[idx], ("cv-dev", "cv-unlabeled"))
        title_weight = self.params.get("title_view_weight", 0.0)
        if title_weight > 0 and cv.any():
            x = np.vstack([x, ds.dense_title[idx[cv]]])
            y = np.concatenate([y, y[cv]])
            w = np.concatenate([w, w[cv] * title_weight])
        model = lgb.LGBMClassifier(
            n_estimators=self.params.get("gbdt_trees", 100), learning_rate=0.1, num_leaves=15,
            min_child_samples=10, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
            random_state=self.seed, n_jobs=2, verbose=-1,
        )
        return model.fit(x, y, sample_weight=w)

    def to_onnx(self, ds):
        return onnx_export.lightgbm_to_onnx(self.model, ds.dense.shape[1], f"{self.name}_{self.task}")

    def onnx_feeds(self, ds, idx):
        return {"dense": ds.dense[idx]}


class EncoderKNN(Member):
    """The labeled training titles nearest in the sentence encoder's embedding space vote (softmax
    over cosine, times the row's training weight, so annotated CV titles count as much as they do
    for every other member). Its index holds int8 rows, exactly as the exported ONNX graph."""

    name, input = "encoder_knn", "encoder"

    def features(self, ds, idx):
        return getattr(ds, self.input)[idx]

    def dim(self, ds) -> int:
        """The embedding's width (the encoder's features go on with the concept cosines)."""
        return ds.encoder_info["dim"]

    def fit_model(self, ds, idx, x, y, w):
        # Neighbours are real labeled titles only (no keyword pseudo-labels): they are shown as the
        # explanation of a prediction.
        labeled = ds.kind[idx] != "cv-unlabeled"
        return NearestTitles(self.n_classes, **KNN).fit(
            x[labeled, :self.dim(ds)], y[labeled], w[labeled], [ds.rows[i]["title"] for i in idx[labeled]])

    def to_onnx(self, ds):
        return onnx_export.nearest_titles_to_onnx(self.model, getattr(ds, self.input).shape[1], f"{self.name}_{self.task}")

    def onnx_feeds(self, ds, idx):
        return {"dense": self.features(ds, idx)}

    def neighbours(self):
        return [[t, CLASSES[self.task][c]] for t, c in zip(self.model.titles, self.model.y)]


class EmbeddingLR(Member):
    """Logistic regression on an embedding view of the title (`input`: the dataset attribute and the
    manifest input) and the CSV-domain flag."""

    c_param: str

    def embedding(self, ds, idx):
        return getattr(ds, self.input)[idx]

    def features(self, ds, idx):
        # The CSV-domain flag, as every other member has it; 0 in serving, so the exported graph
        # drops its column.
        return np.hstack([self.embedding(ds, idx), ds.dense[idx][:, [ds.dense_names.index("domain_csv")]]])

    def fit_model(self, ds, idx, x, y, w):
        return LogisticRegression(C=self.params.get(self.c_param, 8.0), max_iter=2000, tol=1e-4).fit(x, y, sample_weight=w)

    def to_onnx(self, ds):
        return onnx_export.dense_linear_to_onnx(self.model.coef_[:, :-1], self.model.intercept_, f"{self.name}_{self.task}")

    def onnx_feeds(self, ds, idx):
        return {"dense": self.embedding(ds, idx)}


class EncoderLR(EmbeddingLR):
    """On the sentence-encoder features (multilingual embedding plus cosine to each class description
    of config/concepts.json). Measured in the ablation; not in the default ensemble (it lowers
    department macro-F1 there)."""

    name, input, c_param = "encoder_lr", "encoder", "encoder_c"


class StaticLR(EmbeddingLR):
    """On the static embedding distilled from the sentence encoder (the mean of the title's tokenizer
    pieces' rows): the encoder's multilingual view at the cost of a lookup."""

    name, input, c_param = "static_lr", "static", "static_c"


class StaticKNN(EncoderKNN):
    """encoder_knn's vote of the nearest labeled titles, in the static embedding distilled from the
    encoder: the same neighbourhood idea at the cost of a lookup."""

    name, input = "static_knn", "static"

    def dim(self, ds) -> int:
        return ds.static.shape[1]


REGISTRY: dict[str, type[Member]] = {m.name: m for m in (NgramLR, Gbdt, WordMLP, StaticLR, StaticKNN, EncoderKNN, EncoderLR)}
assert set(REGISTRY) == set(KNOWN_MEMBERS), "options.py names the members the registry holds"


def make_member(name: str, task: str, seed: int, params: dict) -> Member:
    return REGISTRY[name](task, seed, params)


def reads_encoder(name: str) -> bool:
    """Runs the sentence encoder itself (the cascade's expensive step)."""
    return REGISTRY[name].input == "encoder"


def needs_encoder_dir(name: str) -> bool:
    """Needs models/encoder (the encoder, or the static table and tokenizer distilled from it)."""
    return REGISTRY[name].input in ("encoder", "static")


def quantize_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: vectors ~ q * scale[:, None]."""
    scale = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


class NearestTitles:
    """k nearest labeled titles by cosine (embeddings are unit length); each votes for its label
    with softmax(similarity / temperature) times its training weight; votes are normalized, then
    smoothed towards uniform."""

    def __init__(self, n_classes: int, k: int, temperature: float, smoothing: float):
        self.n_classes, self.k, self.temperature, self.smoothing = n_classes, k, temperature, smoothing
        self.classes_ = np.arange(n_classes)

    def fit(self, embeddings: np.ndarray, y: np.ndarray, weights: np.ndarray, titles: list[str]):
        q, scale = quantize_rows(embeddings)
        # A title repeated with the same label is one neighbour (with the summed weight), not k
        # copies of itself.
        _, first, inverse = np.unique(np.hstack([q, y[:, None].astype(np.int8)]), axis=0, return_index=True, return_inverse=True)
        summed = np.bincount(inverse.ravel(), weights=weights)
        order = np.argsort(first)
        first = first[order]
        self.q, self.scale, self.y = q[first], scale[first], y[first].astype(np.int64)
        self.weight = summed[order].astype(np.float32)
        self.titles = [titles[i] for i in first]
        return self

    def neighbours(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices into the index and similarities of the k nearest, best first (the features'
        leading columns are the embedding)."""
        e = features[:, : self.q.shape[1]].astype(np.float32)
        # The title in 7 bits per row (the index keeps 8), as the ONNX graph: a uint8 of at most 127
        # times an int8 never saturates the 16-bit pair sums of x86 CPUs without AVX-512 VNNI, so the
        # integer products, and the ranking, are exact on every CPU. QuantizeLinear rounds half to
        # even, as np.round.
        e_scale = (np.abs(e).max(axis=1, keepdims=True) * np.float32(1 / onnx_export.TITLE_LEVELS) + np.float32(1e-12)).astype(np.float32)
        e_q = np.round(e / e_scale).astype(np.int32)
        dots = (e_q @ self.q.T.astype(np.int32)).astype(np.float32) * self.scale
        k = min(self.k, dots.shape[1])
        # Ranked before the title's scale (one positive number per row) is applied, as the graph
        # does. Ties (the same title with two labels) go to the lower index, as ONNX TopK breaks them.
        top = np.argsort(-dots, axis=1, kind="stable")[:, :k]
        return top, np.take_along_axis(dots, top, 1) * e_scale

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        out = np.zeros((len(features), self.n_classes))
        for start in range(0, len(features), 1024):
            top, vals = self.neighbours(features[start:start + 1024])
            w = np.exp((vals - vals[:, :1]) / self.temperature)
            w /= w.sum(axis=1, keepdims=True)
            p = np.zeros((len(top), self.n_classes))
            np.add.at(p, (np.arange(len(top))[:, None].repeat(top.shape[1], 1), self.y[top]), w * self.weight[top])
            p /= p.sum(axis=1, keepdims=True)
            out[start:start + 1024] = p * (1 - self.smoothing) + self.smoothing / self.n_classes
        return out

