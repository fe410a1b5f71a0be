"""The project's one exception type for bad input data."""

from __future__ import annotations

from pathlib import Path


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
