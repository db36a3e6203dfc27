"""Trains the cv-pipeline ensemble, evaluates it, and exports ONNX members plus a manifest.

    python training/train.py --dataset training/work/dataset.jsonl [--reduced] [--out DIR] [--reports DIR]

The flags and where a run writes (a new folder under out/ unless named): cvtrain/options.py, or
--help. Normally run by scripts/train.sh (`npm run train`), which exports the dataset first.

The dataset comes from training/export-dataset.ts (TypeScript computes every feature). Protocols
(DESIGN.md section 5): in-domain = 5-fold cross-validation grouped by CV over the annotated dev
CVs, each fold training on the CSVs, the unlabeled CVs and the other folds; strict = no annotated
CV in training at all. The shipped model trains on everything allowed.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import sys
import time
import warnings
from datetime import datetime, timezone

import numpy as np
import onnx
import onnxruntime as ort
from sklearn.model_selection import GroupKFold

from cvtrain import options
from cvtrain.data import CLASSES, TASKS, Vocabulary, load
from cvtrain.members import (DEFAULT_STATIC_MEMBERS, ENCODER_MEMBERS, MEMBERS, REGISTRY, STATIC_MEMBERS, Member, make_member,
                             needs_encoder_dir, reads_encoder)
from cvtrain.pool import em_priors, fit_pool, fit_threshold, pool, with_fallback
from cvtrain.progress import Progress
from cvtrain.report import confusion_image, fmt, metrics

FULL = {"gbdt_trees": 100, "mlp_epochs": 30, "mlp_hidden": 32, "lr_c": 8.0, "encoder_c": 8.0, "static_c": 8.0, "folds": 5}
REDUCED = {"gbdt_trees": 30, "mlp_epochs": 5, "mlp_hidden": 16, "lr_c": 8.0, "encoder_c": 8.0, "static_c": 8.0, "folds": 2}
# The cascade escalates to the sentence encoder where the cheap pool's confidence is below a threshold:
# the lowest that keeps accuracy and macro-F1 (all positions, out-of-fold) this close to the full
# ensemble's.
CASCADE_TOLERANCE = {"accuracy": 0.001, "macroF1": 0.002}
CASCADE_GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)
LANGUAGES = ("en", "de", "fr")


class Config:
    def __init__(self, args, has_encoder: bool, has_static: bool):
        self.params = dict(REDUCED if args.reduced else FULL, title_view_weight=args.title_view_weight)
        self.seed = args.seed
        self.dev_weight = args.dev_weight
        self.pseudo_weight = args.pseudo_weight
        self.pseudo_floor = args.pseudo_floor
        # Default: the base members, and static_knn where the dataset has static embeddings. The other
        # static and the encoder members are measured in the ablation.
        default = MEMBERS + (DEFAULT_STATIC_MEMBERS if has_static else ())
        self.members = tuple(args.members.split(",")) if args.members else default
        if any(reads_encoder(m) for m in self.members) and not has_encoder:
            raise SystemExit("encoder members asked for, but the dataset has no encoder features: run npm run models:encoder, then npm run train")
        if any(REGISTRY[m].input == "static" for m in self.members) and not has_static:
            raise SystemExit("static members asked for, but the dataset has no static embeddings: run npm run models:encoder, then npm run train")
        # Static and encoder members measured in the ablation though not in the ensemble.
        self.ablation_members = tuple(m for m in STATIC_MEMBERS if has_static and m not in self.members) + tuple(
            m for m in ENCODER_MEMBERS if has_encoder and m not in self.members)

    @property
    def base_members(self) -> tuple[str, ...]:
        """The members that run without models/encoder (the degraded ensemble)."""
        return tuple(m for m in self.members if not needs_encoder_dir(m))

    @property
    def cascade_members(self) -> tuple[str, ...]:
        """The members that run without the encoder itself: the cascade's cheap pool."""
        return tuple(m for m in self.members if not reads_encoder(m))


def pseudo_mask(ds, task: str, floor: float) -> np.ndarray:
    """Unlabeled CV rows whose keyword label is trusted: a rule matched with confidence >= floor,
    or no rule matched at all (the CV convention: a plain title is Professional / Other)."""
    kw_label, kw_conf = ds.keyword(task)
    matched = ds.dense[:, DENSE.index(f"kw_{task}_matched")] > 0
    return (ds.kind == "cv-unlabeled") & ((matched & (kw_conf >= floor)) | ~matched)


def training_rows(ds, task: str, cfg: Config, dev_groups: set[str] | None, use_pseudo: bool = True):
    """Row indices, labels and weights for one task. dev_groups: the annotated CVs and analysts'
    corrections allowed, by group (None = none)."""
    y_all = ds.labels(task)
    csv = (ds.kind == f"csv-{task}") & (y_all >= 0)
    # Analysts' corrections (npm run train -- --corrections FILE): labeled CV titles, weighted as the
    # annotated CVs are; not in the strict protocol, which trains on no CV annotation.
    allowed = np.isin(ds.group, list(dev_groups)) if dev_groups else np.zeros(len(ds.rows), dtype=bool)
    corrections = (ds.kind == "correction") & (y_all >= 0) & allowed
    dev = (ds.kind == "cv-dev") & allowed
    pseudo = pseudo_mask(ds, task, cfg.pseudo_floor) if use_pseudo else np.zeros(len(ds.rows), dtype=bool)
    kw_label, _ = ds.keyword(task)
    y = np.where(pseudo, kw_label, y_all)
    w = np.where(dev | corrections, cfg.dev_weight, np.where(pseudo, cfg.pseudo_weight, 1.0))
    idx = np.flatnonzero(csv | dev | pseudo | corrections)
    return idx, y[idx], w[idx]


def vocabularies(ds, cfg: Config, dev_groups, use_pseudo: bool) -> dict[str, Vocabulary]:
    """One vocabulary per n-gram member, shared by both tasks (serving featurizes a title once):
    the n-grams of every row either task trains on."""
    rows = np.union1d(*(training_rows(ds, t, cfg, dev_groups, use_pseudo)[0] for t in TASKS))
    grams = [ds.rows[i]["ngrams"] for i in rows]
    return {m: Vocabulary(grams, REGISTRY[m].prefixes) for m in cfg.members if REGISTRY[m].prefixes}


def fit_members(ds, task: str, cfg: Config, dev_groups, use_pseudo=True, progress: Progress | None = None) -> dict[str, Member]:
    idx, y, w = training_rows(ds, task, cfg, dev_groups, use_pseudo)
    vocabs = vocabularies(ds, cfg, dev_groups, use_pseudo)
    members = {}
    for name in cfg.members:
        started = time.time()
        members[name] = make_member(name, task, cfg.seed, cfg.params).fit(ds, idx, y, w, vocabs.get(name))
        if progress:
            progress.fitted(name, time.time() - started)
    return members


def fit_plan(cfg: Config, args, corrections: bool) -> list[str]:
    """The member of every fit the run makes (for the ETA): in_domain, corrections, strict, ship."""
    per_fold = [*cfg.members, *cfg.ablation_members]
    plan = per_fold * len(TASKS) * cfg.params["folds"]
    if corrections:
        plan += [*cfg.members] * len(TASKS)
    if not args.no_strict:
        plan += [*cfg.members] * 2 * len(TASKS)
    if not args.evaluate_only:
        plan += [*cfg.members] * len(TASKS)
    return plan


def in_domain(ds, cfg: Config, progress: Progress) -> dict:
    """Out-of-fold member probabilities for every annotated dev row, folds grouped by CV: in profile
    mode (`oof`) and as bare titles (`oofTitle`, the title-only protocol). Analysts' corrections, where
    the dataset has any, are folded too (grouped by title): each fold also trains on the other folds'
    corrections and predicts its own (`corrections`, for corrections_effect)."""
    dev_idx = np.flatnonzero(ds.kind == "cv-dev")
    groups = ds.group[dev_idx]
    folds = np.zeros(len(dev_idx), dtype=int)
    for k, (_, test) in enumerate(GroupKFold(n_splits=cfg.params["folds"]).split(dev_idx, groups=groups)):
        folds[test] = k
    corr_idx, corr_folds = correction_folds(ds, cfg.params["folds"])
    oof_corr = {task: {m: np.zeros((len(corr_idx), len(CLASSES[task]))) for m in cfg.members} for task in TASKS}
    titles = ds.as_titles()
    extra = with_members(cfg, cfg.ablation_members)
    empty = lambda: {task: {m: np.zeros((len(dev_idx), len(CLASSES[task]))) for m in (*cfg.members, *extra.members)} for task in TASKS}
    oof, oof_title = empty(), empty()
    for k in range(cfg.params["folds"]):
        train_groups = set(groups[folds != k]) | set(ds.group[corr_idx[corr_folds != k]])
        test_rows = dev_idx[folds == k]
        for task in TASKS:
            members = fit_members(ds, task, cfg, train_groups, progress=progress)
            if extra.members:
                members.update(fit_members(ds, task, extra, train_groups, progress=progress))
            for name, member in members.items():
                oof[task][name][folds == k] = member.predict(ds, test_rows)
                oof_title[task][name][folds == k] = member.predict(titles, test_rows)
                if name in oof_corr[task] and (corr_folds == k).any():
                    oof_corr[task][name][corr_folds == k] = member.predict(ds, corr_idx[corr_folds == k])
            progress.report(f"in-domain fold {k + 1}/{cfg.params['folds']}, {task}")
    return {"rows": dev_idx, "folds": folds, "oof": oof, "oofTitle": oof_title, "corrections": {"rows": corr_idx, "folds": corr_folds, "oof": oof_corr}}


def correction_folds(ds, n_folds: int) -> tuple[np.ndarray, np.ndarray]:
    """The correction rows and a fold for each, grouped by lower-cased title (a title corrected twice
    stays in one fold); no folds with fewer corrections than folds."""
    idx = np.flatnonzero(ds.kind == "correction")
    titles = np.array([ds.rows[i]["title"].strip().lower() for i in idx])
    folds = np.full(len(idx), -1, dtype=int)
    if len(np.unique(titles)) >= n_folds:
        for k, (_, test) in enumerate(GroupKFold(n_splits=n_folds).split(idx, groups=titles)):
            folds[test] = k
    return idx, folds


def corrections_effect(ds, cfg: Config, cv: dict, pools: dict, progress: Progress) -> dict | None:
    """What analysts' corrections add, on corrections the model did not train on: the in-domain
    folds' predictions of their held-out corrections (trained on the other folds' corrections and
    CVs) against members fitted on every dev CV and no correction, both through the shipped pool and
    keyword fallback, beside the keyword rules. None without corrections to hold out."""
    idx = cv["corrections"]["rows"]
    if len(idx) == 0 or cv["corrections"]["folds"].min() < 0:
        return None
    dev_groups = set(ds.group[ds.kind == "cv-dev"])
    out = {"corrections": int(len(idx))}
    for task in TASKS:
        y = ds.labels(task)[idx]
        labeled = y >= 0
        if not labeled.any():
            continue
        without = fit_members(ds, task, cfg, dev_groups, progress=progress)
        p = pools[task]
        kw = ds.keyword(task)[0][idx]

        def final(probs: list[np.ndarray]) -> np.ndarray:
            return with_fallback(pool(probs, np.array(p["weights"]), np.array(p["bias"])), kw, p["fallbackThreshold"])[0]

        variants = {
            "keywords": kw,
            "ensemble, trained without corrections": final([without[m].predict(ds, idx) for m in cfg.members]),
            "ensemble, trained with the other folds' corrections": final([cv["corrections"]["oof"][task][m] for m in cfg.members]),
        }
        out[task] = {"n": int(labeled.sum()), **{name: metrics(task, y[labeled], v[labeled]) for name, v in variants.items()}}
        progress.report(f"corrections held out, {task}")
    return out


def with_members(cfg: Config, members: tuple[str, ...]) -> Config:
    c = copy.copy(cfg)
    c.members = members
    return c


def fit_pool_and_threshold(probs: list[np.ndarray], y: np.ndarray, kw: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Pool weights, bias and fallback threshold fitted on out-of-fold member probabilities."""
    w, b = fit_pool(probs, y)
    return w, b, fit_threshold(pool(probs, w, b), kw, y)


def cross_fitted_pool(views: list[list[np.ndarray]], y: np.ndarray, kw: np.ndarray, folds: np.ndarray):
    """Pool + fallback per fold with parameters fitted on the other folds of the first view (profile
    mode) only; returns (pooled, final, fallback) for every view (bare titles too), scored with them."""
    out = [(np.zeros_like(v[0]), np.zeros(len(y), dtype=int), np.zeros(len(y), dtype=bool)) for v in views]
    for k in np.unique(folds):
        fit, test = folds != k, folds == k
        w, b, t = fit_pool_and_threshold([p[fit] for p in views[0]], y[fit], kw[fit])
        for view, (pooled, final, fallback) in zip(views, out):
            pooled[test] = pool([p[test] for p in view], w, b)
            final[test], fallback[test] = with_fallback(pooled[test], kw[test], t)
    return out


CHEAP_VARIANT = "cascade's first pool (no encoder)"
CASCADE_VARIANT = "cascade: encoder where the first pool is unsure"


# The scorer's steps (what loads, ENCODER_MODE) and the variant that measures each.
STEP_VARIANTS = {
    "keywords": "keywords",
    "no models/encoder": "ensemble + fallback, without encoder",
    "off": CHEAP_VARIANT,
    "cascade": CASCADE_VARIANT,
    "full": "ensemble + fallback",
}


def fit_escalation(task: str, y: np.ndarray, active: np.ndarray, pooled_cheap: np.ndarray, final_cheap: np.ndarray,
                   final_full: np.ndarray) -> dict:
    """The lowest confidence threshold of the cheap pool below which the full ensemble (encoder
    included) decides, keeping the full ensemble's out-of-fold accuracy and macro-F1 within
    CASCADE_TOLERANCE, on ACTIVE positions and on all. Chosen on the same out-of-fold predictions it
    is reported on (one scalar per task; the evaluation says so). Returns the threshold and the whole
    trade-off curve."""
    def figures(pred):
        return {subset: metrics(task, y[rows], pred[rows]) for subset, rows in (("active", active), ("all", np.ones_like(active)))}

    full = figures(final_full)
    conf = pooled_cheap.max(1)
    curve = []
    for t in CASCADE_GRID:
        m = figures(np.where(conf < t, final_full, final_cheap))
        curve.append({"threshold": float(t), "escalated": float((conf < t).mean()),
                      **{f"{k}{'Active' if subset == 'active' else ''}": m[subset][k] for subset in m for k in ("accuracy", "macroF1")}})
    ok = [c for c in curve if all(c[f"{k}{sfx}"] >= full[subset][k] - CASCADE_TOLERANCE[k]
                                  for k in CASCADE_TOLERANCE for subset, sfx in (("active", "Active"), ("all", "")))]
    return {"escalateBelow": ok[0]["threshold"] if ok else 1.0, "curve": curve,
            "full": {f"{k}{'Active' if subset == 'active' else ''}": full[subset][k] for subset in full for k in ("accuracy", "macroF1")}}


def evaluate_subsets(task, y, variants: dict[str, np.ndarray], active: np.ndarray) -> dict:
    return {
        name: {"active": metrics(task, y[active], pred[active]), "all": metrics(task, y, pred)}
        for name, pred in variants.items()
    }


def by_language(ds, dev_idx, task, y, variants: dict[str, np.ndarray], active: np.ndarray) -> dict:
    """Macro-F1 and accuracy per title language (the text stage's detector) for the ensembles and
    the keyword rules: the ablation that shows what the multilingual encoder adds where."""
    lang = np.array([ds.rows[i].get("language") for i in dev_idx])
    # Small language subsets miss classes; scikit-learn warns about each, which says nothing here.
    warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
    keep = [v for v in variants if v.startswith("ensemble + fallback") or v in ("keywords", CASCADE_VARIANT) or (v in REGISTRY and needs_encoder_dir(v))]
    return {
        v: {l: {subset: metrics(task, y[rows], variants[v][rows]) if rows.any() else {"n": 0}
                for subset, rows in (("active", active & (lang == l)), ("all", lang == l))} for l in LANGUAGES}
        for v in keep
    }


def strict(ds, cfg: Config, progress: Progress) -> tuple[dict, dict]:
    """No annotated CV in training: members fit on the CSVs and the unlabeled CVs; the pool uses
    equal weights and class priors re-estimated by EM on the unlabeled CVs (no dev labels).
    Returns the profile-mode and the title-only results."""
    dev_idx = np.flatnonzero(ds.kind == "cv-dev")
    unl_idx = np.flatnonzero(ds.kind == "cv-unlabeled")
    active = np.array([ds.rows[i].get("status") == "ACTIVE" for i in dev_idx])
    titles = ds.as_titles()
    out, out_title = {}, {}
    for task in TASKS:
        members = fit_members(ds, task, cfg, None, progress=progress)
        y = ds.labels(task)[dev_idx]
        kw = ds.keyword(task)[0][dev_idx]
        weights = np.full(len(members), 1.0 / len(members))
        # Prior shift: training priors = mean prediction on training rows; target priors by EM.
        idx, ytr, _ = training_rows(ds, task, cfg, None)
        train_priors = np.bincount(ytr, minlength=len(CLASSES[task])) / len(ytr)
        unl = pool([m.predict(ds, unl_idx) for m in members.values()], weights, np.zeros(len(CLASSES[task])))
        target = em_priors(unl, np.maximum(train_priors, 1e-6))
        bias = np.log(np.maximum(target, 1e-6)) - np.log(np.maximum(train_priors, 1e-6))

        def variants_of(view):
            probs = [m.predict(view, dev_idx) for m in members.values()]
            adjusted = pool(probs, weights, bias)
            return {
                "keywords": kw,
                "ensemble": pool(probs, weights, np.zeros(len(CLASSES[task]))).argmax(1),
                "ensemble+EM priors": adjusted.argmax(1),
                "ensemble+EM+fallback@0.5": with_fallback(adjusted, kw, 0.5)[0],
                **{name: p.argmax(1) for name, p in zip(members, probs)},
            }

        variants = variants_of(ds)
        # What the keyword pseudo-labels on the unlabeled CVs add: the same members without them.
        bare = fit_members(ds, task, cfg, None, use_pseudo=False, progress=progress)
        variants["ensemble, no pseudo-labels"] = pool([m.predict(ds, dev_idx) for m in bare.values()], weights, np.zeros(len(CLASSES[task]))).argmax(1)
        out[task] = evaluate_subsets(task, y, variants, active)
        out_title[task] = evaluate_subsets(task, y, variants_of(titles), active)
        progress.report(f"strict protocol, {task}")
    return out, out_title


def ship(ds, cfg: Config, out_dir: str, progress: Progress) -> dict:
    """Fits members on everything allowed and writes ONNX files, vocabularies and the manifest."""
    os.makedirs(out_dir, exist_ok=True)
    all_groups = set(ds.group[(ds.kind == "cv-dev") | (ds.kind == "correction")])
    files: dict[str, dict] = {m: {} for m in cfg.members}
    neighbours: dict[str, dict] = {m: {} for m in cfg.members}  # task -> titles file
    fitted = {}
    vocab_files = {}
    for task in TASKS:
        members = fit_members(ds, task, cfg, all_groups, progress=progress)
        fitted[task] = members
        for name, member in members.items():
            assert list(member.model.classes_) == list(range(len(CLASSES[task]))), f"{name}/{task}: a class is missing"
            path = f"{name}.{task}.onnx"
            model = member.to_onnx(ds)
            if (rows := member.neighbours()) is not None:
                # The neighbours' titles and labels, for the explanation serving shows.
                neighbours[name][task] = f"{name}.{task}.titles.json"
                with open(os.path.join(out_dir, neighbours[name][task]), "w", encoding="utf-8") as f:
                    json.dump(rows, f, ensure_ascii=False, separators=(",", ":"))
            onnx.save(model, os.path.join(out_dir, path))
            files[name][task] = path
            if member.vocab is not None and name not in vocab_files:
                vocab_files[name] = f"vocab.{name}.json"
                with open(os.path.join(out_dir, vocab_files[name]), "w", encoding="utf-8") as f:
                    json.dump(member.vocab.terms, f, ensure_ascii=False, separators=(",", "\n"))
        progress.report(f"shipped members for {task} fitted and exported")
    return {"files": files, "neighbours": neighbours, "vocab_files": vocab_files, "fitted": fitted}


def run_onnx(out_dir: str, path: str, feeds: dict) -> np.ndarray:
    session = ort.InferenceSession(os.path.join(out_dir, path), providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], feeds)[0]


def golden(ds, cfg: Config, shipped: dict, pools: dict, out_dir: str) -> dict:
    """ONNX Runtime's probabilities on the golden rows (the examples), for the TypeScript parity
    test; also checks that ONNX reproduces the fitted models."""
    idx = np.flatnonzero(ds.kind == "golden")
    result = {"rows": [[ds.rows[i]["group"], ds.rows[i]["index"]] for i in idx], "tasks": {}}
    max_diff = 0.0
    for task in TASKS:
        members = {}
        for name, member in shipped["fitted"][task].items():
            probs = run_onnx(out_dir, shipped["files"][name][task], member.onnx_feeds(ds, idx))
            max_diff = max(max_diff, float(np.abs(probs - member.predict(ds, idx)).max()))
            members[name] = probs
        p = pools[task]
        pooled = pool([members[m].astype(np.float64) for m in cfg.members], np.array(p["weights"]), np.array(p["bias"]))
        result["tasks"][task] = {
            "members": {m: np.round(v, 7).tolist() for m, v in members.items()},
            "ensemble": np.round(pooled, 7).tolist(),
        }
        if "cascade" in p:
            c = p["cascade"]
            cheap = pool([members[m].astype(np.float64) for m in c["members"]], np.array(c["weights"]), np.array(c["bias"]))
            result["tasks"][task]["ensembleCascade"] = np.round(cheap, 7).tolist()
        if "withoutEncoder" in p:
            d = p["withoutEncoder"]
            degraded = pool([members[m].astype(np.float64) for m in d["members"]], np.array(d["weights"]), np.array(d["bias"]))
            result["tasks"][task]["ensembleWithoutEncoder"] = np.round(degraded, 7).tolist()
    if any(reads_encoder(m) for m in cfg.members):
        # The encoder features these outputs came from, as little-endian float32 (base64): the
        # sentence encoder's int8 kernels differ by a last bit between CPUs, enough to reorder two
        # nearly tied neighbours, so the parity test feeds the members these exact features and
        # checks the local encoder against them separately, with a tolerance.
        feats = np.ascontiguousarray(ds.encoder[idx], dtype="<f4")
        result["encoderFeatures"] = {"width": int(feats.shape[1]), "float32": base64.b64encode(feats.tobytes()).decode("ascii")}
    result["sklearnVsOnnxMaxAbsDiff"] = max_diff
    return result


def main():
    args = options.parse()  # fills in --out / --reports (a new folder under out/ by default)
    started = time.time()
    log = lambda msg: print(f"[{time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    ds = load(args.dataset)
    cfg = Config(args, ds.encoder is not None, ds.static is not None)
    np.random.seed(cfg.seed)
    global DENSE
    DENSE = ds.dense_names
    log(f"loaded {len(ds.rows)} rows; members {', '.join(cfg.members)}")
    progress = Progress(fit_plan(cfg, args, (correction_folds(ds, cfg.params["folds"])[1] >= 0).any()), log)

    cv = in_domain(ds, cfg, progress)
    dev_idx, folds = cv["rows"], cv["folds"]
    active = np.array([ds.rows[i].get("status") == "ACTIVE" for i in dev_idx])
    evaluation = {"inDomain": {}, "strict": None, "titleOnly": {"inDomain": {}, "strict": None}}
    pools = {}
    escalated = {}  # task -> rows the cascade sends to the encoder (profile view, title view)
    for task in TASKS:
        y = ds.labels(task)[dev_idx]
        kw = ds.keyword(task)[0][dev_idx]
        # Views of the same rows: in their profiles, and as bare titles. One pool serves both, fitted
        # on the profile view (fitting it on both measured worse in both modes).
        views = lambda members: [[cv[key][task][m] for m in members] for key in ("oof", "oofTitle")]
        (pooled, final, fallback), (pooled_t, final_t, fallback_t) = cross_fitted_pool(views(cfg.members), y, kw, folds)
        variants = {"keywords": kw, "ensemble (no fallback)": pooled.argmax(1), "ensemble + fallback": final}
        title_variants = {"keywords": kw, "ensemble (no fallback)": pooled_t.argmax(1), "ensemble + fallback": final_t}
        degraded = None
        if cfg.base_members != cfg.members:
            profile_view, title_view = cross_fitted_pool(views(cfg.base_members), y, kw, folds)
            variants["ensemble + fallback, without encoder"] = profile_view[1]
            title_variants["ensemble + fallback, without encoder"] = title_view[1]
            w0, b0, t0 = fit_pool_and_threshold(views(cfg.base_members)[0], y, kw)
            degraded = {"members": list(cfg.base_members), "weights": w0.tolist(), "bias": b0.tolist(), "fallbackThreshold": t0}
        if cfg.cascade_members != cfg.members:
            cheap_views = views(cfg.cascade_members)
            (pooled_c, final_c, _), (pooled_ct, final_ct, _) = cross_fitted_pool(cheap_views, y, kw, folds)
            variants[CHEAP_VARIANT], title_variants[CHEAP_VARIANT] = final_c, final_ct
            cascade = fit_escalation(task, y, active, pooled_c, final_c, final)
            below = pooled_c.max(1) < cascade["escalateBelow"]
            below_t = pooled_ct.max(1) < cascade["escalateBelow"]
            variants[CASCADE_VARIANT] = np.where(below, final, final_c)
            title_variants[CASCADE_VARIANT] = np.where(below_t, final_t, final_ct)
            escalated[task] = (below, below_t)
            evaluation.setdefault("cascade", {})[task] = cascade
            w_c, b_c, t_c = fit_pool_and_threshold(cheap_views[0], y, kw)
            pools[task] = {"cascade": {"members": list(cfg.cascade_members), "weights": w_c.tolist(), "bias": b_c.tolist(),
                                       "fallbackThreshold": t_c, "escalateBelow": cascade["escalateBelow"]}}
        for m in cfg.ablation_members:
            variants[f"ensemble + fallback, with {m} too"] = cross_fitted_pool(views((*cfg.members, m)), y, kw, folds)[0][1]
        for m in (*cfg.members, *cfg.ablation_members):
            variants[m] = cv["oof"][task][m].argmax(1)
            title_variants[m] = cv["oofTitle"][task][m].argmax(1)
        evaluation["inDomain"][task] = evaluate_subsets(task, y, variants, active)
        evaluation["inDomain"][task]["fallbackRate"] = float(fallback.mean())
        evaluation["titleOnly"]["inDomain"][task] = evaluate_subsets(task, y, title_variants, active)
        evaluation["titleOnly"]["inDomain"][task]["fallbackRate"] = float(fallback_t.mean())
        evaluation.setdefault("byLanguage", {})[task] = by_language(ds, dev_idx, task, y, variants, active)
        # The shipped pool: fitted on all out-of-fold predictions.
        w, b, t = fit_pool_and_threshold(views(cfg.members)[0], y, kw)
        pools[task] = {"weights": w.tolist(), "bias": b.tolist(), "fallbackThreshold": t, **pools.get(task, {})}
        if degraded:
            pools[task]["withoutEncoder"] = degraded
        for mode, block in (("profile", evaluation["inDomain"][task]), ("title-only", evaluation["titleOnly"]["inDomain"][task])):
            log(f"in-domain {task}, {mode}: " + ", ".join(f"{k} {fmt(v['active']['accuracy'])}" for k, v in block.items() if isinstance(v, dict)))
    if escalated:
        # What the cascade costs: a title runs the encoder when either task escalates it.
        for key, view in (("rate", 0), ("titleRate", 1)):
            evaluation["cascade"][key] = float(np.logical_or(*(escalated[t][view] for t in TASKS)).mean())
        log(f"cascade: encoder on {evaluation['cascade']['rate']:.1%} of positions (thresholds "
            + ", ".join(f"{t} {evaluation['cascade'][t]['escalateBelow']}" for t in TASKS) + ")")
    evaluation["corrections"] = corrections_effect(ds, cfg, cv, pools, progress)
    if not args.no_strict:
        evaluation["strict"], evaluation["titleOnly"]["strict"] = strict(ds, cfg, progress)

    write_report(evaluation, cfg, args, ds)
    if args.evaluate_only:
        log("done")
        print(f"reports: {os.path.join(args.reports, 'evaluation.md')} (and evaluation.json, confusion-*.png)")
        return
    shipped = ship(ds, cfg, args.out, progress)
    gold = golden(ds, cfg, shipped, pools, args.out)
    with open(os.path.join(args.out, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(gold, f, separators=(",", ":"))
    log(f"golden set: scikit-learn vs ONNX max abs diff {gold['sklearnVsOnnxMaxAbsDiff']:.2e}")
    version = write_manifest(ds, cfg, args, pools, shipped, evaluation)
    log("done")
    print(f"model: {args.out} ({version})"
          + (" -- the shipped model, replaced" if options.is_shipped(args.out, "models") else
             f"; serve it with MODELS_DIR={args.out}, or train with --out models to replace the shipped model"))
    print(f"reports: {os.path.join(args.reports, 'evaluation.md')} (and evaluation.json, confusion-*.png)")


# The variant each protocol ships: what its headline figures are.
SHIPPED_VARIANT = {"inDomain": "ensemble + fallback", "strict": "ensemble+EM+fallback@0.5"}


def summary_metrics(evaluation: dict) -> dict:
    """Headline figures per protocol, task and subset; `titleOnly` the same for bare titles."""
    def pick(block, variant):
        return {
            subset: {
                "n": block[variant][subset]["n"],
                "accuracy": round(block[variant][subset]["accuracy"], 4),
                "macroF1": round(block[variant][subset]["macroF1"], 4),
            }
            for subset in ("active", "all")
        }

    def protocols(source):
        return {p: {t: pick(source[p][t], v) for t in TASKS} for p, v in SHIPPED_VARIANT.items() if source.get(p)}

    out = {**protocols(evaluation), "titleOnly": protocols(evaluation["titleOnly"])}
    if evaluation.get("cascade"):
        # The cascade (what serving runs by default with the encoder installed), in-domain.
        out["cascade"] = {
            "encoderRate": round(evaluation["cascade"]["rate"], 4),
            "escalateBelow": {t: evaluation["cascade"][t]["escalateBelow"] for t in TASKS},
            "inDomain": {t: pick(evaluation["inDomain"][t], CASCADE_VARIANT) for t in TASKS},
            "titleOnly": {t: pick(evaluation["titleOnly"]["inDomain"][t], CASCADE_VARIANT) for t in TASKS},
        }
    # Each step of the scorer, cheapest first (in-domain): what bench:classify --steps prints beside
    # its speed.
    steps = {name: variant for name, variant in STEP_VARIANTS.items() if variant in evaluation["inDomain"]["seniority"]}
    out["steps"] = {name: {t: pick(evaluation["inDomain"][t], v) for t in TASKS} for name, v in steps.items()}
    if c := evaluation.get("corrections"):
        # Held-out corrections (corrections_effect): all corrections, each task's labeled ones.
        out["corrections"] = {"corrections": c["corrections"], **{
            t: {"n": c[t]["n"], **{v: {"accuracy": round(m["accuracy"], 4), "macroF1": round(m["macroF1"], 4)} for v, m in c[t].items() if isinstance(m, dict)}}
            for t in TASKS if t in c}}
    return out


def write_manifest(ds, cfg, args, pools, shipped, evaluation):
    digest = hashlib.sha256()
    for task in TASKS:
        for name in cfg.members:
            with open(os.path.join(args.out, shipped["files"][name][task]), "rb") as f:
                digest.update(f.read())
    if ds.encoder_info:
        digest.update(f"{ds.encoder_info['version']} {ds.encoder_info['conceptsSha256']}".encode())
    if any(REGISTRY[m].input == "static" for m in cfg.members):
        digest.update(ds.static_info["version"].encode())
    # The config files the features came from: an edited rule is another model.
    digest.update(json.dumps(ds.config, sort_keys=True).encode())
    kinds = {k: int((ds.kind == k).sum()) for k in np.unique(ds.kind)}
    manifest = {
        "version": f"ensemble-{digest.hexdigest()[:10]}",
        "createdAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "classes": CLASSES,
        "denseFeatures": DENSE,
        "members": [
            {
                "name": name,
                "input": REGISTRY[name].input,
                **({"vocabulary": shipped["vocab_files"][name], "prefixes": list(REGISTRY[name].prefixes)} if REGISTRY[name].prefixes else {}),
                **({"neighbours": shipped["neighbours"][name]} if shipped["neighbours"][name] else {}),
                "files": shipped["files"][name],
            }
            for name in cfg.members
        ],
        # The sentence encoder the encoder members were trained with: serving uses them only when
        # models/encoder holds this very version (and config/concepts.json is unchanged).
        "encoder": {
            "version": ds.encoder_info["version"],
            "dim": ds.encoder_info["dim"],
            "conceptsSha256": ds.encoder_info["conceptsSha256"],
            "features": len(ds.encoder_info["features"]),
        } if any(reads_encoder(m) for m in cfg.members) else None,
        # The static table the static members were trained with (models/encoder/static): serving
        # uses them only when that very table is installed.
        "static": {"version": ds.static_info["version"], "dim": ds.static_info["dim"]}
        if any(REGISTRY[m].input == "static" for m in cfg.members) else None,
        # sha256 of the config files the features came from: serving refuses other files.
        "config": ds.config,
        "ensemble": {
            task: {"members": list(cfg.members), **pools[task]} for task in TASKS
        },
        "training": {
            "seed": cfg.seed, "reduced": bool(args.reduced), "params": cfg.params,
            "devWeight": cfg.dev_weight, "pseudoWeight": cfg.pseudo_weight, "pseudoFloor": cfg.pseudo_floor,
            "rows": kinds,
            # Analysts' title corrections trained on (npm run train -- --corrections FILE).
            "corrections": kinds.get("correction", 0),
            # Label counts of the annotated CVs: the in-domain part of the training data, and the
            # only part whose balance resembles real CVs. Drift statistics compare against it.
            "classDistribution": {
                task: {c: int((ds.labels(task)[ds.kind == "cv-dev"] == i).sum()) for i, c in enumerate(CLASSES[task])}
                for task in TASKS
            },
        },
        "metrics": summary_metrics(evaluation),
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest["version"]


def task_tables(block: dict, protocol: str, mode: str, args) -> list[str]:
    """Per task: every variant's figures, the shipped variant's per-class table and confusion matrix."""
    lines = []
    for task in TASKS:
        lines += [f"### {task}", "", "| variant | ACTIVE acc | ACTIVE macro-F1 | all acc | all macro-F1 | all balanced acc |", "|---|---|---|---|---|---|"]
        for name, m in block[task].items():
            if isinstance(m, dict):
                lines.append(f"| {name} | {fmt(m['active']['accuracy'])} | {fmt(m['active']['macroF1'])} | {fmt(m['all']['accuracy'])} | {fmt(m['all']['macroF1'])} | {fmt(m['all']['balancedAccuracy'])} |")
        if "fallbackRate" in block[task]:
            lines.append(f"\nFallback rate (keyword rules decided): {block[task]['fallbackRate']:.1%}")
        best = SHIPPED_VARIANT[protocol]
        m = block[task][best]["all"]
        lines += ["", f"Per class ({best}, all positions):", "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for c, v in m["perClass"].items():
            lines.append(f"| {c} | {fmt(v['precision'])} | {fmt(v['recall'])} | {fmt(v['f1'])} | {v['support']} |")
        image = f"confusion-{protocol}{'-title-only' if mode else ''}-{task}.png"
        confusion_image(task, m["confusion"], f"{protocol}{mode} {task} ({best}, all positions)", os.path.join(args.reports, image))
        lines += ["", f"![{protocol}{mode} {task} confusion matrix]({image})", ""]
    return lines


def write_report(evaluation, cfg, args, ds):
    os.makedirs(args.reports, exist_ok=True)
    lines = [
        "# cv-pipeline evaluation",
        "",
        f"Generated by `training/train.py` ({'reduced' if args.reduced else 'full'} settings, seed {cfg.seed}, "
        f"members {', '.join(cfg.members)}). Labeled CVs: the annotated dev file only.",
        "",
        "- **In-domain**: 5-fold cross-validation grouped by CV over the dev CVs; each fold trains on the CSVs, "
        "the unlabeled CVs (keyword pseudo-labels) and the other folds. Pool weights and the fallback threshold "
        "of a fold are fitted on the other folds' out-of-fold predictions.",
        "- **Strict**: no annotated CV in training; pool with equal weights and class priors re-estimated by EM "
        "on the unlabeled CVs; fallback threshold fixed at 0.5 beforehand.",
        "- **Title-only** (both protocols): the same positions scored as bare titles, as one-position profiles "
        "with title and organization only, by the same model (the pool and fallback threshold are fitted on "
        "profile mode). "
        + (f"The gbdt member also trains on every CV row in that view (context dropout, weight "
           f"{cfg.params['title_view_weight']:g} of the row's)." if cfg.params["title_view_weight"] > 0 else
           "No context dropout (`--title-view-weight 0`)."),
        "",
    ]
    lines += [
        "## Profile mode and title-only, side by side", "",
        "Profile mode scores each annotated position inside its CV (`run`, `consume`). Title-only scores it as a "
        "bare title, its title and organization and nothing else (`classify`, `classify --csv`, `POST /classify`). "
        "Figures: accuracy / macro-F1 of the shipped variant of each protocol.", "",
        "| protocol | task | profile ACTIVE | title-only ACTIVE | profile all | title-only all |", "|---|---|---|---|---|---|",
    ]
    for protocol, variant in SHIPPED_VARIANT.items():
        if not evaluation.get(protocol):
            continue
        for task in TASKS:
            profile, title = evaluation[protocol][task][variant], evaluation["titleOnly"][protocol][task][variant]
            cell = lambda m: f"{fmt(m['accuracy'])} / {fmt(m['macroF1'])}"
            lines.append(f"| {'in-domain' if protocol == 'inDomain' else 'strict'} | {task} | {cell(profile['active'])} | "
                         f"{cell(title['active'])} | {cell(profile['all'])} | {cell(title['all'])} |")
    lines.append("")
    for source, mode in ((evaluation, ""), (evaluation["titleOnly"], ", title-only")):
        for protocol in ("inDomain", "strict"):
            block = source.get(protocol)
            if not block:
                continue
            lines += [f"## {'In-domain' if protocol == 'inDomain' else 'Strict'} protocol{mode}", ""]
            lines += task_tables(block, protocol, mode, args)
    if evaluation.get("cascade"):
        c = evaluation["cascade"]
        lines += ["## Cascade: the encoder only where the first pool is unsure", "",
                  f"The cheap pool ({', '.join(cfg.cascade_members)}) scores every position; where its confidence for a task is "
                  "below that task's threshold, the full ensemble (the sentence encoder included) decides it. The threshold is "
                  f"the lowest keeping in-domain accuracy within {CASCADE_TOLERANCE['accuracy']} and macro-F1 within "
                  f"{CASCADE_TOLERANCE['macroF1']} of the full ensemble (ACTIVE and all positions), chosen on the same out-of-fold predictions "
                  "this table reports, so the cascade's figures are slightly optimistic. The encoder runs on a position when either "
                  f"task escalates it: **{c['rate']:.1%}** of the dev positions in profile mode, {c['titleRate']:.1%} as bare titles. "
                  "Titles per second of each step (keyword rules, this pool alone, the cascade, the full ensemble), beside these "
                  "figures: `npm run --silent bench:classify -- --json --steps` (measured ones in the README, Speed).", ""]
        for task in TASKS:
            f = c[task]["full"]
            lines += [f"### {task} (threshold {c[task]['escalateBelow']}; full ensemble: ACTIVE {fmt(f['accuracyActive'])} / "
                      f"{fmt(f['macroF1Active'])}, all {fmt(f['accuracy'])} / {fmt(f['macroF1'])})", "",
                      "| threshold | positions escalated | ACTIVE acc | ACTIVE macro-F1 | all acc | all macro-F1 |", "|---|---|---|---|---|---|"]
            lines += [f"| {r['threshold']:.2f} | {r['escalated']:.1%} | {fmt(r['accuracyActive'])} | {fmt(r['macroF1Active'])} | "
                      f"{fmt(r['accuracy'])} | {fmt(r['macroF1'])} |" for r in c[task]["curve"]]
            lines.append("")
    if c := evaluation.get("corrections"):
        lines += ["## Analysts' corrections, held out", "",
                  f"{c['corrections']} title corrections (`--corrections`) train beside the annotated CVs, weighted like them. "
                  "Measured on corrections the model did not train on: the in-domain folds also split the corrections "
                  "(grouped by title), each fold trains on the other folds' and predicts its own. Compared with members "
                  "trained on every dev CV and no correction; both through the shipped pool and keyword fallback. Figures: "
                  "accuracy / macro-F1 on the corrections that set the task.", "",
                  "| variant | " + " | ".join(f"{t} (n={c[t]['n']})" for t in TASKS if t in c) + " |",
                  "|---|" + "---|" * sum(t in c for t in TASKS)]
        for variant in c[next(t for t in TASKS if t in c)]:
            if variant != "n":
                lines.append(f"| {variant} | " + " | ".join(f"{fmt(c[t][variant]['accuracy'])} / {fmt(c[t][variant]['macroF1'])}" for t in TASKS if t in c) + " |")
        lines.append("")
    if evaluation.get("byLanguage"):
        lines += ["## By title language (in-domain)", "",
                  "What the multilingual sentence encoder adds where: macro-F1 (accuracy) per language of the title, "
                  "as the text stage detects it; n = positions. Titles of no detected language are left out.", ""]
        for task in TASKS:
            block = evaluation["byLanguage"][task]
            lines += [f"### {task}", "", "| variant | " + " | ".join(f"{l.upper()} ACTIVE | {l.upper()} all" for l in LANGUAGES) + " |",
                      "|---|" + "---|" * (2 * len(LANGUAGES))]
            for name, per in block.items():
                cells = []
                for l in LANGUAGES:
                    for subset in ("active", "all"):
                        m = per[l][subset]
                        cells.append(f"{fmt(m['macroF1'])} ({fmt(m['accuracy'])}) n={m['n']}" if m["n"] else "n=0")
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            lines.append("")
    with open(os.path.join(args.reports, "evaluation.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.reports, "evaluation.json"), "w", encoding="utf-8") as f:
        json.dump(evaluation, f)


DENSE: list[str] = []

if __name__ == "__main__":
    main()
