"""The exported training set (training/export-dataset.ts) and the matrices members fit on."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

SENIORITY = ["Junior", "Professional", "Senior", "Lead", "Director", "Management"]
DEPARTMENT = [
    "Information Technology", "Sales", "Marketing", "Human Resources", "Consulting",
    "Project Management", "Business Development", "Customer Support", "Administrative",
    "Purchasing", "Other",
]
CLASSES = {"seniority": SENIORITY, "department": DEPARTMENT}
TASKS = ("seniority", "department")


@dataclass
class Dataset:
    rows: list[dict]
    kind: np.ndarray  # str per row
    group: np.ndarray  # str per row (profile for CV rows)
    dense: np.ndarray  # float32 [n, F], NaN = missing
    dense_names: list[str]
    # The dense features of each row as a bare title (a one-position profile: what `classify TITLE`
    # sees); equal to `dense` for rows that have no profile (the title CSVs).
    dense_title: np.ndarray
    # Sentence-encoder features [n, dim + concepts] (embedding, then concept cosines), and what
    # produced them; None when the dataset was exported without the encoder installed.
    # sha256 of each config file the features were computed with (the manifest pins them).
    config: dict | None = None
    encoder: np.ndarray | None = None
    encoder_info: dict | None = None
    # Static embeddings distilled from the encoder [n, dim] (src/classify/static-embedding.ts), and
    # their table's version; None when the dataset was exported without the table.
    static: np.ndarray | None = None
    static_info: dict | None = None

    def labels(self, task: str) -> np.ndarray:
        """Class index per row, -1 where the row has no label for the task."""
        index = {c: i for i, c in enumerate(CLASSES[task])}
        return np.array([index.get(r.get(task) or "", -1) for r in self.rows], dtype=np.int64)

    def as_titles(self) -> "Dataset":
        """The same rows seen as bare titles: what the title-only protocol scores."""
        return replace(self, dense=self.dense_title)

    def keyword(self, task: str) -> tuple[np.ndarray, np.ndarray]:
        index = {c: i for i, c in enumerate(CLASSES[task])}
        labels = np.array([index[r["kw"][task]] for r in self.rows], dtype=np.int64)
        conf = np.array([r["kw"][f"{task}Confidence"] for r in self.rows], dtype=np.float64)
        return labels, conf


def load(path: str) -> Dataset:
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    as_array = lambda key: np.array([[np.nan if v is None else v for v in r.get(key, r["dense"])] for r in rows], dtype=np.float32)
    dense = as_array("dense")
    with open(f"{path}.meta.json", encoding="utf-8") as f:
        meta = json.load(f)
    names = meta["denseFeatures"]
    if len(names) != dense.shape[1]:
        raise ValueError(f"{path}: rows carry {dense.shape[1]} dense features but the meta file names {len(names)}")
    encoder, info = None, meta.get("encoder")
    if info:
        width = len(info["features"])
        encoder = np.fromfile(f"{path}.encoder.f32", dtype="<f4")  # written beside the rows
        if encoder.size != len(rows) * width:
            raise ValueError(f"{path}.encoder.f32: {encoder.size} values, expected {len(rows)} rows x {width}")
        encoder = encoder.reshape(len(rows), width)
    static, static_info = None, meta.get("static")
    if static_info:
        static = np.fromfile(f"{path}.static.f32", dtype="<f4")
        if static.size != len(rows) * static_info["dim"]:
            raise ValueError(f"{path}.static.f32: {static.size} values, expected {len(rows)} rows x {static_info['dim']}")
        static = static.reshape(len(rows), static_info["dim"])
    return Dataset(
        dense_names=names,
        rows=rows,
        kind=np.array([r["kind"] for r in rows]),
        group=np.array([r["group"] for r in rows]),
        dense=dense,
        dense_title=as_array("denseTitle"),
        encoder=encoder,
        encoder_info=info,
        static=static,
        static_info=static_info,
        config=meta["config"],
    )


class Vocabulary:
    """N-grams (with the given prefixes) seen in at least `min_df` training rows. Index 0 is padding."""

    def __init__(self, ngram_lists, prefixes: tuple[str, ...], min_df: int = 2):
        counts: dict[str, int] = {}
        for grams in ngram_lists:
            for g in grams:
                if g.startswith(prefixes):
                    counts[g] = counts.get(g, 0) + 1
        self.prefixes = prefixes
        self.terms = sorted(g for g, c in counts.items() if c >= min_df)
        self.index = {g: i + 1 for i, g in enumerate(self.terms)}

    def __len__(self) -> int:
        return len(self.terms) + 1

    def matrix(self, ngram_lists) -> sp.csr_matrix:
        """Binary bag of known n-grams, L2-normalized per row: 1/sqrt(k) for k known n-grams.

        Column j is vocabulary index j (column 0, padding, stays empty), so a weight matrix
        fitted on it is the lookup table the ONNX graph gathers from.
        """
        indptr, indices, values = [0], [], []
        for grams in ngram_lists:
            ids = sorted({self.index[g] for g in grams if g in self.index})
            if ids:
                v = 1.0 / np.sqrt(len(ids))
                indices.extend(ids)
                values.extend([v] * len(ids))
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(values, dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr)),
            shape=(len(ngram_lists), len(self)),
        )
