"""Tiny helper to write a notebook from a list of (kind, source) cells.

Used to author the narrative notebooks as plain Python (easy to review); the
executed .ipynb files in notebooks/ are the artefacts users open.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def write_notebook(path: str | Path, cells: list[tuple[str, str]]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src in cells:
        src = src.strip("\n")
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(src))
        elif kind == "params":
            c = nbformat.v4.new_code_cell(src)
            c.metadata["tags"] = ["parameters"]
            nb.cells.append(c)
        else:
            nb.cells.append(nbformat.v4.new_code_cell(src))
    for i, c in enumerate(nb.cells):  # stable ids: no random churn in git
        c["id"] = f"cell-{i:03d}"
    nbformat.write(nb, str(path))


if __name__ == "__main__":  # pragma: no cover
    print("import write_notebook from this module", file=sys.stderr)
