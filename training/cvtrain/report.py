"""Metrics and the evaluation report (markdown plus confusion-matrix images)."""
from __future__ import annotations

import os

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from .data import CLASSES


def metrics(task: str, y: np.ndarray, pred: np.ndarray) -> dict:
    labels = sorted(set(y.tolist()) | set(pred.tolist()))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=range(len(CLASSES[task])), zero_division=0)
    return {
        "n": int(len(y)),
        "accuracy": float(accuracy_score(y, pred)),
        "macroF1": float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "balancedAccuracy": float(balanced_accuracy_score(y, pred)),
        "perClass": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, c in enumerate(CLASSES[task])
        },
        "confusion": confusion_matrix(y, pred, labels=range(len(CLASSES[task]))).tolist(),
    }


def fmt(x: float) -> str:
    return f"{x:.3f}"


def confusion_image(task: str, confusion: list[list[int]], title: str, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = CLASSES[task]
    m = np.array(confusion)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * len(classes), 0.8 + 0.5 * len(classes)), dpi=110)
    ax.imshow(m / np.maximum(1, m.sum(axis=1, keepdims=True)), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > 0.5 * max(1, m[i].sum()) else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("truth")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
