"""Progress of a training run, counted in member fits (most of a run's time): done / planned, the
mean time per fit, and an ETA from the mean time of each member so far, scaled by the time spent
outside fits (vocabularies, predictions, ONNX export) in the same proportion. Standard library only."""
from __future__ import annotations

import math
import time
from collections import Counter
from typing import Callable


def duration(seconds: float, up: bool = False) -> str:
    """`7s`, `3m05s`, `1h02m`, as the CLI's progress lines (src/cli/progress.ts); up: rounded up
    (what is left: an ETA never reads 0s early)."""
    s = math.ceil(seconds) if up else int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    def __init__(self, plan: list[str], log: Callable[[str], None]):
        """plan: the member name of every fit the run will make, in any order."""
        self.started = time.time()
        self.total = len(plan)
        self.left = Counter(plan)
        self.done = 0
        self.spent: Counter = Counter()  # seconds in fits, per member
        self.count: Counter = Counter()  # fits done, per member
        self.log = log

    def fitted(self, name: str, seconds: float) -> None:
        self.done += 1
        self.left[name] -= 1
        self.spent[name] += seconds
        self.count[name] += 1

    def eta(self) -> float:
        fitting = sum(self.spent.values())
        if not self.done or fitting <= 0:
            return float("nan")
        mean = fitting / self.done
        left = sum(n * (self.spent[m] / self.count[m] if self.count[m] else mean) for m, n in self.left.items() if n > 0)
        return left * (time.time() - self.started) / fitting

    def report(self, what: str) -> None:
        eta = self.eta()
        fits = f"member fits {self.done}/{self.total}"
        if self.done:
            each = sum(self.spent.values()) / self.done
            fits += f" ({each:.1f}s each)" if each < 10 else f" ({duration(each)} each)"
        known = eta == eta and self.done < self.total  # NaN before the first fit; none left at the end
        self.log(f"{what}: {fits}, ETA ~{duration(eta, up=True)}" if known else f"{what}: {fits}")
