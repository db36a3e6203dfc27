"""The ensemble: a weighted log-linear pool of member probabilities plus a class bias.

    z_c = sum_m w_m * log(p_mc + EPS) + b_c,   p = softmax(z)

Weights and bias are fitted by minimizing log-loss on out-of-fold predictions, so the pool is
calibrated by construction (the weights act as a temperature, the bias as a prior correction for
the shift between the title CSVs and real CVs). TypeScript serving computes exactly this.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

EPS = 1e-6


def logits(probs: list[np.ndarray], weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return sum(w * np.log(p + EPS) for w, p in zip(weights, probs)) + bias


def pool(probs: list[np.ndarray], weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return softmax(logits(probs, weights, bias), axis=1)


def fit_pool(probs: list[np.ndarray], y: np.ndarray, bias_l2: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative member weights and a free class bias minimizing mean log-loss."""
    m, c = len(probs), probs[0].shape[1]
    logp = [np.log(p + EPS) for p in probs]

    def loss(theta):
        w, b = theta[:m], theta[m:]
        z = sum(wi * lp for wi, lp in zip(w, logp)) + b
        ls = log_softmax(z, axis=1)
        nll = -ls[np.arange(len(y)), y].mean() + bias_l2 * float(b @ b)
        p = np.exp(ls)
        onehot = np.zeros_like(p)
        onehot[np.arange(len(y)), y] = 1
        g = (p - onehot) / len(y)
        grad_w = np.array([(g * lp).sum() for lp in logp])
        grad_b = g.sum(axis=0) + 2 * bias_l2 * b
        return nll, np.concatenate([grad_w, grad_b])

    theta0 = np.concatenate([np.full(m, 1.0 / m), np.zeros(c)])
    bounds = [(0.0, 10.0)] * m + [(-20.0, 20.0)] * c
    result = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x[:m], result.x[m:]


def fit_threshold(pooled: np.ndarray, keyword: np.ndarray, y: np.ndarray) -> float:
    """The confidence below which the keyword rules decide, maximizing accuracy (ties: lowest)."""
    conf, pred = pooled.max(axis=1), pooled.argmax(axis=1)
    best_t, best_acc = 0.0, -1.0
    for t in np.round(np.arange(0.0, 0.951, 0.01), 2):
        acc = float((np.where(conf >= t, pred, keyword) == y).mean())
        if acc > best_acc + 1e-12:
            best_t, best_acc = float(t), acc
    return best_t


def with_fallback(pooled: np.ndarray, keyword: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Final labels and whether the fallback decided each."""
    fallback = pooled.max(axis=1) < threshold
    return np.where(fallback, keyword, pooled.argmax(axis=1)), fallback


def em_priors(probs: np.ndarray, train_priors: np.ndarray, iterations: int = 100) -> np.ndarray:
    """Class priors of unlabeled data re-estimated by EM (Saerens et al., 2002)."""
    priors = train_priors.copy()
    for _ in range(iterations):
        adjusted = probs * (priors / train_priors)
        adjusted /= adjusted.sum(axis=1, keepdims=True)
        new = adjusted.mean(axis=0)
        if np.abs(new - priors).max() < 1e-6:
            return new
        priors = new
    return priors
