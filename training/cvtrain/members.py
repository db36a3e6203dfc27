"""The ensemble members. Each sees a different view of a title and predicts both tasks.

- ngram_lr: multinomial logistic regression on character 2-5-grams and word 1-2-grams.
- gbdt: LightGBM on dense features (keyword-rule scores, language, title shape, profile context).
- word_mlp: a one-hidden-layer network on word 1-2-grams only.
"""
from __future__ import annotations

import warnings

# LightGBM names its columns at fit time and scikit-learn then warns on every plain-array predict.
warnings.filterwarnings("ignore", message="X does not have valid feature names")

import lightgbm as lgb
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from .data import CLASSES, Vocabulary

MEMBERS = ("ngram_lr", "gbdt", "word_mlp")
NGRAM_PREFIXES = {"ngram_lr": ("c:", "w:", "d:"), "word_mlp": ("w:", "d:")}


def full_proba(model, x, n_classes: int) -> np.ndarray:
    """Probabilities in class-list order, zero for classes the model never saw."""
    p = model.predict_proba(x)
    out = np.zeros((x.shape[0], n_classes), dtype=np.float64)
    out[:, model.classes_] = p
    return out


class Member:
    """One member for one task: fit on training rows, predict class probabilities."""

    def __init__(self, name: str, task: str, seed: int, params: dict):
        self.name, self.task, self.seed, self.params = name, task, seed, params
        self.n_classes = len(CLASSES[task])
        self.vocab: Vocabulary | None = None
        self.model = None

    def _x(self, ds, idx):
        if self.name == "gbdt":
            return ds.dense[idx]
        return self.vocab.matrix([ds.rows[i]["ngrams"] for i in idx])

    def fit(self, ds, idx: np.ndarray, y: np.ndarray, w: np.ndarray, vocab: Vocabulary | None):
        self.vocab = vocab
        x = self._x(ds, idx)
        if self.name == "ngram_lr":
            self.model = LogisticRegression(C=self.params.get("lr_c", 8.0), max_iter=1000, tol=1e-4)
            self.model.fit(x, y, sample_weight=w)
        elif self.name == "word_mlp":
            self.model = MLPClassifier(
                hidden_layer_sizes=(self.params.get("mlp_hidden", 32),), alpha=self.params.get("mlp_alpha", 1e-4),
                max_iter=self.params.get("mlp_epochs", 40), random_state=self.seed, batch_size=256,
            )
            # MLPClassifier has no sample weights: repeat rows by their (rounded) weight instead.
            reps = np.maximum(1, np.round(w).astype(int))
            order = np.repeat(np.arange(len(y)), reps)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget is intended
                self.model.fit(x[order], y[order])
        elif self.name == "gbdt":
            self.model = lgb.LGBMClassifier(
                n_estimators=self.params.get("gbdt_trees", 100), learning_rate=0.1, num_leaves=15,
                min_child_samples=10, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                random_state=self.seed, n_jobs=2, verbose=-1,
            )
            self.model.fit(x, y, sample_weight=w)
        else:
            raise ValueError(f"unknown member {self.name}")
        return self

    def predict(self, ds, idx: np.ndarray) -> np.ndarray:
        return full_proba(self.model, self._x(ds, idx), self.n_classes)
