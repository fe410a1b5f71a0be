"""A notebook's parameters: read from its ``parameters`` cell, listed, validated.

Every numbered notebook has one code cell tagged ``parameters`` (papermill's
convention) made of plain assignments, ``name = literal``. That cell is the
single declaration of what a notebook accepts: :func:`notebook_parameters`
reads it (from the MyST twin, the source, when there is one), and
:func:`validate` turns user values (text from ``-p NAME VALUE``, or typed
values from a YAML ``-f`` file or a sweep grid) into values of the default's
type, checked against the allowed values, *before* any kernel starts.

Types follow the default: a parameter whose default is ``1`` takes integers
only (``1.5`` is refused, not truncated), one whose default is ``"2022Q4"``
takes quarters, and so on. A few parameters have a closed set of allowed
values, computed from the data or the library rather than typed here twice
(:data:`RULES`): ``region`` (codes of the regions with employment data, or
their names, accents and case ignored), ``sector_group``, ``uncertain``,
``wave``, ``outcome``. Others are open but checked against the data
(:data:`CHECKS`): ``epci_code`` must be a metropolitan EPCI of the COG.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
_YEAR_OR_QUARTER = re.compile(r"^\d{4}(Q[1-4])?$")


class ParameterError(ValueError):
    """A parameter value or name that a notebook does not accept.

    The message names what is wrong and the fix, on one line.
    """

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}. Fix: {fix}")


@dataclass(frozen=True)
class Parameter:
    """One assignment of a notebook's parameters cell."""

    name: str
    default: Any
    comment: str = ""

    @property
    def type_name(self) -> str:
        """The accepted type, as shown by ``--list-params``."""
        d = self.default
        if d is None:
            return "quarter or None" if self.name.endswith("quarter") else "text or None"
        if isinstance(d, bool):
            return "bool"
        if isinstance(d, int):
            return "int"
        if isinstance(d, float):
            return "float"
        if isinstance(d, dict):
            return "mapping"
        if isinstance(d, str) and _QUARTER.match(d):
            return "quarter (YYYYQn)"
        return "text"


def _plain(text: str) -> str:
    """Lower case without accents, spaces or punctuation: to match region names."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _regions() -> dict[str, str]:
    """Region code -> name, for the regions that have employment data."""
    from reindus import data

    geo = data.geography("region")
    with_data = set(data.regional_employment()["region_code"].unique())
    return {c: n for c, n in zip(geo["region_code"], geo["region"], strict=True) if c in with_data}


def _sector_groups() -> dict[str, str]:
    from reindus import data

    return {g: g for g in sorted(data.sectors()["group"].unique())}


def _uncertain() -> dict[str, str]:
    from typing import get_args

    from reindus.evaluation.panel import Uncertain

    return {u: u for u in get_args(Uncertain)}


def _waves() -> dict[int, str]:
    from reindus.designs.territories import TREATMENT_START

    return {w: f"treated from {y}" for w, y in TREATMENT_START.items()}


def _outcomes() -> dict[str, str]:
    from reindus.designs.territories import OUTCOMES

    return dict(OUTCOMES)


#: Parameters with a closed set of allowed values: name -> function giving
#: {value: label}. Computed from the data and the library, so they cannot drift.
RULES: dict[str, Callable[[], dict[Any, str]]] = {
    "region": _regions,
    "sector_group": _sector_groups,
    "uncertain": _uncertain,
    "wave": _waves,
    "outcome": _outcomes,
}


def _check_epci(notebook: str, code: Any) -> Any:
    """An EPCI code of the COG, metropolitan (overseas EPCI have no contours nor census data)."""
    from reindus import data
    from reindus.config import OVERSEAS_REGIONS

    geo = data.geography("epci").set_index("epci_code")
    example = "`-p epci_code 200072460` (CA de Béthune-Bruay, Artois-Lys Romane)"
    if code not in geo.index:
        raise ParameterError(f"notebook {notebook}: {code!r} is not an EPCI of the COG",
                             f"give the 9-digit SIREN of an EPCI, e.g. {example}")
    if geo.loc[code, "region_code"] in OVERSEAS_REGIONS:
        raise ParameterError(f"notebook {notebook}: EPCI {code} ({geo.loc[code, 'epci']}) is "
                             "overseas, without contours nor census data",
                             f"choose a metropolitan EPCI, e.g. {example}")
    return code


#: Open parameters checked against the data once typed: name -> function
#: ``(notebook, value) -> value`` raising :class:`ParameterError`. Unlike :data:`RULES`,
#: the valid values are too many to list in ``--list-params``.
CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "epci_code": _check_epci,
}


def allowed_values(name: str) -> dict[Any, str] | None:
    """The allowed values of a parameter and their labels, or ``None`` when open."""
    rule = RULES.get(name)
    return rule() if rule else None


_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def _twin_parameters_source(text: str) -> str | None:
    """The parameters cell of a MyST twin, read without jupytext (whose import is slow)."""
    for body in _CODE_CELL.findall(text):
        lines = body.split("\n")
        options: list[str] = []
        if lines and lines[0].strip() == "---":  # YAML options block
            end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
            options, lines = lines[1:end], lines[end + 1:]
        else:
            while lines and lines[0].startswith(":"):
                options.append(lines.pop(0))
        if re.search(r"tags:.*\bparameters\b", "\n".join(options)):
            return "\n".join(lines).strip("\n")
    return None


def _parameters_source(path: Path) -> str:
    """Source of the ``parameters`` cell of a notebook (its MyST twin when present)."""
    twin = path.with_suffix(".md")
    if twin.exists():
        found = _twin_parameters_source(twin.read_text(encoding="utf-8"))
        return found or ""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get(
                "tags", []):
            return "".join(cell.get("source", ""))
    return ""


def notebook_parameters(path: Path) -> dict[str, Parameter]:
    """The parameters of a notebook, in the order of its parameters cell.

    Comments on the lines above each assignment are not parsed per parameter;
    the whole cell's comment block is kept on the first parameter only, as the
    cells document their parameters together.
    """
    source = _parameters_source(path)
    if not source:
        return {}
    tree = ast.parse(source)
    comments = " ".join(line.lstrip("# ").strip() for line in source.splitlines()
                        if line.startswith("#"))
    params: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            try:
                default = ast.literal_eval(node.value)
            except ValueError:  # not a literal: accept text, as papermill would inject it
                default = ast.get_source_segment(source, node.value)
            params[name] = Parameter(name, default, comments if not params else "")
    return params


def _fail(notebook: str, name: str, value: Any, expected: str, example: Any) -> ParameterError:
    return ParameterError(
        f"notebook {notebook}: parameter {name!r} expects {expected}, got {value!r}",
        f"pass e.g. `-p {name} {example}` (see `reindus run {notebook[:2]} --list-params`)")


def _coerce(notebook: str, p: Parameter, value: Any) -> Any:
    """``value`` converted to the type of ``p.default``, or a :class:`ParameterError`."""
    d = p.default
    name = p.name
    if isinstance(d, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise _fail(notebook, name, value, "true or false", str(d).lower())
    if isinstance(d, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        raise _fail(notebook, name, value, "an integer", d)
    if isinstance(d, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        text = str(value).strip()
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
            return float(text)
        raise _fail(notebook, name, value, "a number", d)
    if isinstance(d, dict):
        if isinstance(value, str):
            import yaml

            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                value = None
        if not isinstance(value, dict):
            raise _fail(notebook, name, value, f"a mapping with keys {sorted(d)}",
                        "'" + json.dumps(d) + "'")
        unknown = sorted(set(value) - set(d))
        if unknown:
            raise ParameterError(
                f"notebook {notebook}: parameter {name!r} has no key(s) {unknown}; its keys are "
                f"{sorted(d)}", f"use only those keys (defaults: {json.dumps(d)})")
        merged = dict(d)
        for k, v in value.items():
            merged[k] = _coerce(notebook, Parameter(f"{name}.{k}", d[k]), v) \
                if d[k] is not None else v
        return merged
    if d is None:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            return None
        value = str(value).strip()
        if name.endswith("quarter") and not _QUARTER.match(value):
            raise _fail(notebook, name, value, "a quarter such as 2019Q4, or None", "2019Q4")
        return value
    # text defaults
    if isinstance(value, (bool, float, dict, list)) or value is None:
        raise _fail(notebook, name, value, "text", d)
    value = str(value).strip()
    if isinstance(d, str) and _QUARTER.match(d) and not _QUARTER.match(value.upper()):
        raise _fail(notebook, name, value, "a quarter (YYYYQn, e.g. 2019Q4)", d)
    if isinstance(d, str) and _QUARTER.match(d):
        return value.upper()
    if isinstance(d, str) and _YEAR_OR_QUARTER.match(d) and not _YEAR_OR_QUARTER.match(value):
        raise _fail(notebook, name, value, "a year (YYYY) or a quarter (YYYYQn)", d)
    return value


def _match_allowed(notebook: str, name: str, value: Any, allowed: dict[Any, str]) -> Any:
    if value in allowed:
        return value
    if name == "region":
        text = str(value).strip()
        if text.isdigit() and text.zfill(2) in allowed:
            return text.zfill(2)
        by_name = {_plain(label): code for code, label in allowed.items()}
        if _plain(text) in by_name:
            return by_name[_plain(text)]
        close = difflib.get_close_matches(_plain(text), list(by_name), n=1, cutoff=0.7)
        hint = f" (did you mean {allowed[by_name[close[0]]]!r}, code {by_name[close[0]]}?)" \
            if close else ""
        raise ParameterError(
            f"notebook {notebook}: {value!r} is not a region with data{hint}",
            "give a region code or name, e.g. `-p region 44` or `-p region 'Grand Est'`; "
            f"codes: {', '.join(allowed)}")
    shown = ", ".join(repr(v) for v in allowed)
    raise ParameterError(f"notebook {notebook}: parameter {name!r} is {value!r}, not one of "
                         f"{shown}", f"pass one of {shown}")


def validate(notebook_path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Check user values against a notebook's parameters cell; return typed values.

    Raises :class:`ParameterError` for an unknown name (with the closest known
    name), a value of the wrong type, a value outside the allowed set
    (:data:`RULES`) or one that the data refuse (:data:`CHECKS`).
    """
    notebook = notebook_path.stem
    declared = notebook_parameters(notebook_path)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in declared:
            close = difflib.get_close_matches(str(name), list(declared), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            known = ", ".join(declared) or "none"
            raise ParameterError(f"notebook {notebook} has no parameter {name!r}",
                                 f"{hint}its parameters are: {known}")
        p = declared[name]
        typed = _coerce(notebook, p, value)
        allowed = allowed_values(name)
        if allowed is not None:
            typed = _match_allowed(notebook, name, typed, allowed)
        if name in CHECKS:
            typed = CHECKS[name](notebook, typed)
        out[name] = typed
    return out


def non_default(notebook_path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """The validated values that differ from the notebook's defaults."""
    declared = notebook_parameters(notebook_path)
    return {k: v for k, v in values.items() if k not in declared or v != declared[k].default}


def describe(notebook_path: Path) -> str:
    """Text table of a notebook's parameters: name, type, default, allowed values."""
    declared = notebook_parameters(notebook_path)
    if not declared:
        return f"{notebook_path.stem}: no parameters"
    lines = [f"{notebook_path.stem}: parameters (set with -p NAME VALUE or -f FILE.yaml)", ""]
    width = max(len(n) for n in declared)
    for p in declared.values():
        lines.append(f"  {p.name:<{width}}  {p.type_name:<18} default {p.default!r}")
        allowed = allowed_values(p.name)
        if allowed:
            if p.name == "region":
                lines.append(" " * (width + 4) + "allowed: a code or a name:")
                lines += [" " * (width + 6) + f"{c}  {n}" for c, n in allowed.items()]
            else:
                labels = [f"{v!r}" + (f" ({lab})" if lab != v else "") for v, lab in allowed.items()]
                lines.append(" " * (width + 4) + "allowed: " + ", ".join(labels))
        elif isinstance(p.default, dict):
            lines.append(" " * (width + 4) + f"keys: {', '.join(p.default)}")
    comment = next((p.comment for p in declared.values() if p.comment), "")
    if comment:
        import textwrap

        lines += ["", *textwrap.wrap(comment, 96, initial_indent="  ", subsequent_indent="  ")]
    return "\n".join(lines)
