"""The project's one exception type for bad input data, and the one required-columns check."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a frame is checked: `reindus run` never needs it
    import pandas as pd


class DataError(Exception):
    """A source or processed file cannot be used as it is.

    The message always names the file, the problem and the fix, so that a user
    who sees only the last line of a traceback knows what to do.

    Parameters
    ----------
    path
        The offending file (or directory).
    problem
        What is wrong, in one sentence.
    fix
        What the user should do about it.
    """

    def __init__(self, path: str | Path, problem: str, fix: str) -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. Fix: {fix}")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise a clear error when ``frame`` is not a DataFrame or lacks one of ``columns``.

    ``TypeError`` for a non-DataFrame, ``ValueError`` naming the missing columns (in the
    order asked) and the columns the frame has. Every layer checks its inputs with this.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; it has {list(frame.columns)}")
