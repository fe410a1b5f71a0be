"""Numeric regression: compare a fresh run's results JSON with the committed one.

Every headline number lives in ``reports/results/<notebook>.json``. After a
change, re-executing the notebooks must give the same numbers within stated
tolerances; otherwise the name of the number, its old and its new value are
reported, so a change that moves a published number cannot pass unnoticed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Relative and absolute tolerances for numeric fields. Runs are seeded and
#: deterministic, so the tolerance only absorbs floating-point noise across
#: BLAS builds and library patch releases.
REL_TOL = 1e-7
ABS_TOL = 1e-9
#: Fields of a result entry that are compared.
FIELDS = ("estimate", "interval", "p_value", "n")


@dataclass(frozen=True)
class Difference:
    """One number that moved."""

    notebook: str
    name: str
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.notebook}: {self.name}.{self.field} was {self.old!r}, now {self.new!r}"


def _close(a: Any, b: Any, rel: float, abs_: float) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        if isinstance(a, int) and isinstance(b, int):
            return a == b  # counts, ranks and sample sizes must not move at all
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rel, abs_) for x, y in zip(a, b, strict=True))
    return a == b


def compare_results(old: dict, new: dict, *, rel: float = REL_TOL,
                    abs_: float = ABS_TOL) -> list[Difference]:
    """Differences between two results documents (as written by ``record_result``).

    A number present in the old run and missing from the new one counts as a
    difference (``new=None``); new numbers are allowed.
    """
    nb = old.get("notebook", "?")
    diffs = []
    for name, entry in old.get("results", {}).items():
        fresh = new.get("results", {}).get(name)
        if fresh is None:
            diffs.append(Difference(nb, name, "*", entry.get("estimate"), None))
            continue
        for field in FIELDS:
            if field in entry or field in fresh:
                if not _close(entry.get(field), fresh.get(field), rel, abs_):
                    diffs.append(Difference(nb, name, field, entry.get(field), fresh.get(field)))
    return diffs


def compare_dirs(committed: Path, fresh: Path, notebooks: list[str] | None = None
                 ) -> list[Difference]:
    """Compare every ``<notebook>.json`` of ``committed`` with the one in ``fresh``."""
    diffs: list[Difference] = []
    for path in sorted(committed.glob("*.json")):
        if notebooks is not None and path.stem not in notebooks:
            continue
        other = fresh / path.name
        if not other.exists():
            diffs.append(Difference(path.stem, "*", "*", "results file", None))
            continue
        diffs += compare_results(json.loads(path.read_text()), json.loads(other.read_text()))
    return diffs
