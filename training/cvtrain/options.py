"""Command-line options of training/train.py, and where a run writes.

Standard library only: scripts/train.sh imports this with the system python3 to print the help and
to reject bad flags or output folders before it builds training/.venv and exports the dataset
(minutes). `python3 -m cvtrain.options FLAGS` (with PYTHONPATH=training) checks FLAGS, then prints
the output folders it resolved (--out, --reports), NUL-separated, for train.sh to hand to train.py.
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone

# Member names (cvtrain.members fits them); here because the options name them.
MEMBERS = ("ngram_lr", "gbdt", "word_mlp")
# Members on the static embeddings distilled from the encoder (they need its tokenizer and table,
# not the encoder itself). static_knn is shipped: in-domain it adds what encoder_knn added, at the
# cost of a lookup (README, The sentence encoder).
STATIC_MEMBERS = ("static_knn", "static_lr")
DEFAULT_STATIC_MEMBERS = ("static_knn",)
# Members that run the sentence encoder itself: measured in the ablation, or shipped with --members
# (the cascade then escalates to them where the cheap pool is unsure).
ENCODER_MEMBERS = ("encoder_knn", "encoder_lr")
KNOWN_MEMBERS = MEMBERS + STATIC_MEMBERS + ENCODER_MEMBERS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What a folder holds after a run wrote it: the marker that it is an earlier run's output.
MODEL_MARKER = "manifest.json"
REPORTS_MARKER = "evaluation.md"

DESCRIPTION = """\
Trains the cv-pipeline ensemble, evaluates it, and exports ONNX members plus a manifest.

    python training/train.py --dataset training/work/dataset.jsonl [--reduced] [--out DIR] [--reports DIR]

The dataset comes from training/export-dataset.ts (TypeScript computes every feature). Protocols
(DESIGN.md section 5): in-domain = 5-fold cross-validation grouped by CV over the annotated dev
CVs, each fold training on the CSVs, the unlabeled CVs and the other folds; strict = no annotated
CV in training at all. The shipped model trains on everything allowed.

Output: a new folder out/train-<UTC time>/ with model/ and reports/, unless --out / --reports name
folders. The shipped model (models/) and the committed reports (reports/) change only when named:
--out models --reports reports.
"""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, without the usage dump: the message and where the flags are listed."""
        self.exit(2, f"{self.prog}: {message} (--help lists the flags)\n")


def parser(prog: str = "training/train.py", flags_only: bool = False) -> argparse.ArgumentParser:
    """flags_only: a parser whose help lists the flags alone (train.sh's help puts them under its own)."""
    ap = Parser(prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 **({"usage": argparse.SUPPRESS, "add_help": False} if flags_only else {"description": DESCRIPTION}))
    ap.add_argument("--dataset", default="training/work/dataset.jsonl",
                    help="the exported training set (default %(default)s; train.sh writes it there)")
    ap.add_argument("--out", metavar="DIR", default=None,
                    help="folder for the model (ONNX members, vocabularies, manifest.json, golden.json); "
                         "default out/train-<UTC time>/model. 'models' replaces the shipped model")
    ap.add_argument("--reports", metavar="DIR", default=None,
                    help="folder for evaluation.md, evaluation.json and the confusion matrices; "
                         "default out/train-<UTC time>/reports. 'reports' replaces the committed reports")
    ap.add_argument("--reduced", action="store_true", help="small models and 2 folds: proves the toolchain quickly")
    ap.add_argument("--no-strict", action="store_true", help="skip the strict protocol")
    ap.add_argument("--evaluate-only", action="store_true", help="run the protocols and write the report; export nothing")
    ap.add_argument("--seed", type=int, default=7, help="default %(default)s")
    ap.add_argument("--dev-weight", type=float, default=4.0, help="weight of annotated CV rows (default %(default)s)")
    ap.add_argument("--pseudo-weight", type=float, default=0.5,
                    help="weight of keyword pseudo-labeled CV rows (default %(default)s)")
    ap.add_argument("--pseudo-floor", type=float, default=0.7,
                    help="rule confidence a pseudo-label needs (default %(default)s)")
    ap.add_argument("--title-view-weight", type=float, default=0.0,
                    help="context dropout: weight of each CV row's bare-title view, relative to the row, in the "
                         "gbdt member's training (default %(default)s = off: measured, it cost profile mode a "
                         "little and gained bare titles no more)")
    ap.add_argument("--members", metavar="LIST", default=None,
                    help=f"comma-separated; default {','.join(MEMBERS + DEFAULT_STATIC_MEMBERS)} (the static one when the "
                         f"dataset has static embeddings); also {','.join(m for m in STATIC_MEMBERS + ENCODER_MEMBERS if m not in DEFAULT_STATIC_MEMBERS)}")
    return ap


class OptionError(Exception):
    pass


def parse(argv: list[str] | None = None, prog: str = "training/train.py") -> argparse.Namespace:
    """Parses and checks the flags and fills in the output folders (see resolve_outputs)."""
    ap = parser(prog)
    args, unknown = ap.parse_known_args(argv)
    if unknown:
        ap.error(f"unknown argument(s): {' '.join(unknown)}")
    if args.members is not None:
        bad = [m for m in args.members.split(",") if m not in KNOWN_MEMBERS]
        if bad:
            ap.error(f"--members: unknown member(s) {','.join(bad) if args.members else '(none given)'}; "
                     f"known: {','.join(KNOWN_MEMBERS)}")
    try:
        resolve_outputs(args)
    except OptionError as e:
        ap.exit(2, f"{ap.prog}: {e}\n")
    return args


def resolve_outputs(args: argparse.Namespace) -> None:
    """Fills in the default output folders and refuses unsafe ones.

    Default: a new folder per run, out/train-<UTC time>/{model,reports} (out/ is git-ignored), so a
    run never replaces the shipped model or the committed reports by accident; those change only
    when --out models / --reports reports name them.

    A folder named explicitly may be new, empty, or an earlier run's output (it holds a
    manifest.json, resp. an evaluation.md): naming it is the request to replace that output, and
    re-running into the same folder is the normal loop (`--out models` to ship, CI's
    .data/reduced-model, `--out /tmp/model`). Any other non-empty folder is refused: the run writes
    a dozen files and deletes nothing, so a slip such as `--out .` or `--out src` would scatter
    model files among unrelated ones. The check runs before anything is written (train.sh runs it
    before the venv and the dataset export too).
    """
    if (args.out is None and not args.evaluate_only) or args.reports is None:
        run_dir = new_run_dir()
        if args.out is None and not args.evaluate_only:
            args.out = os.path.join(run_dir, "model")
        if args.reports is None:
            args.reports = os.path.join(run_dir, "reports")
    if not args.evaluate_only:
        check_target(args.out, MODEL_MARKER, "--out")
    check_target(args.reports, REPORTS_MARKER, "--reports")


def new_run_dir() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = os.path.join("out", f"train-{stamp}")
    n = 2
    while os.path.exists(run_dir):  # two runs in the same second
        run_dir = os.path.join("out", f"train-{stamp}-{n}")
        n += 1
    return run_dir


def check_target(path: str, marker: str, flag: str) -> None:
    if not os.path.exists(path):
        return
    if not os.path.isdir(path):
        raise OptionError(f"{flag} {path}: exists and is not a folder")
    entries = os.listdir(path)
    if entries and marker not in entries:
        raise OptionError(
            f"{flag} {path}: a non-empty folder that holds no earlier training output ({marker}); "
            f"refusing to write among its files. Name a new or empty folder, or omit {flag} "
            f"(the default is a new folder under out/).")


def is_shipped(path: str, name: str) -> bool:
    """Whether path is the repository's own models/ or reports/ folder."""
    return os.path.realpath(path) == os.path.realpath(os.path.join(REPO, name))


def describe(args: argparse.Namespace) -> str:
    """One line: where this run writes."""
    parts = []
    if not args.evaluate_only:
        parts.append(f"model -> {args.out}{' (replaces the shipped model)' if is_shipped(args.out, 'models') else ''}")
    parts.append(f"reports -> {args.reports}{' (replaces the committed reports)' if is_shipped(args.reports, 'reports') else ''}")
    return "; ".join(parts)


if __name__ == "__main__":
    if sys.argv[1:] == ["--flags-help"]:  # train.sh --help
        try:
            print(parser(flags_only=True).format_help().split("\n", 1)[1].rstrip())  # without "options:"
            sys.stdout.flush()
        except BrokenPipeError:  # --help | head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    resolved = parse(sys.argv[1:], prog=os.environ.get("TRAIN_PROG", "training/train.py"))
    print(f"train: {describe(resolved)}", file=sys.stderr)
    # The filled-in output folders, for train.sh to append to the flags it hands to train.py.
    flags = ["--reports", resolved.reports] + ([] if resolved.evaluate_only else ["--out", resolved.out])
    sys.stdout.write("".join(f + "\0" for f in flags))
