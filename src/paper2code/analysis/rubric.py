"""The paper's rubric, drawn from its outline: what `paper2code analyze` writes to rubric.yaml.

One leaf per numbered equation (``eq-N``), algorithm (``alg-N``), named
component (``comp-NAME``), hyperparameter (``hp-NAME``) and, where the
extraction read a table's cells, reported number (``tab-N-ROW-COLUMN``).
The format is the one `paper2code.rubric` loads; a person then edits the
file: deletes leaves that are noise, adds claims, marks a leaf
``status: out-of-scope`` or ``deviation`` with a reason, and states each
result leaf's tolerance before the run.

Only these keys of the outline are read: ``title``, ``equations``
(``number``, ``text``, ``location``), ``algorithms`` (``number``, ``title``,
``steps``, ``location``), ``architecture`` (``text``, ``mentions``,
``location``), ``hyperparameters`` (``name``, ``value``, ``numeric``,
``source``, ``location``) and ``tables`` (``number``, ``rows``, ``header``,
``location``); other keys are ignored.
"""

from __future__ import annotations

import re

import yaml

from paper2code.analysis.checklist import where
from paper2code.analysis.extract import Outline
from paper2code.analysis.hyperparameters import parse_value

__all__ = ["rubric_from_outline", "rubric_yaml"]

_GREEK = dict(zip(
    "αβγδεϵζηθϑικλμνξπρστυφϕχψω",
    "alpha beta gamma delta epsilon epsilon zeta eta theta theta iota kappa lambda mu nu xi "
    "pi rho sigma tau upsilon phi phi chi psi omega".split(), strict=True,
))
DEFAULT_TOLERANCE = {"rel": 0.01}  # of a table's number: edit it before the run


def _slug(text: str) -> str:
    """``"model dimension d_model"`` -> ``model_dimension_d_model``; ``β`` -> ``beta``.

    Examples:
        >>> _slug("Label smoothing"), _slug("β1"), _slug("ε")
        ('label_smoothing', 'beta1', 'epsilon')
    """
    text = "".join(_GREEK.get(c, c) for c in str(text).lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "x"


def _get(item, key, default=None):
    return item.get(key, default) if isinstance(item, dict) else getattr(item, key, default)


def _where(item: dict, prefix: str = "") -> str:
    loc = item.get("location") or {}
    place = where(loc) if "line" in loc else ""
    return ", ".join(p for p in (prefix, place) if p) or "not located"


def _table_leaves(tables: list[dict], skip: set[str]) -> list[dict]:
    """One result leaf per numeric cell of each table whose cells were read."""
    leaves = []
    for table in tables:
        rows, number = table.get("rows"), str(table.get("number", ""))
        if not rows or number in skip:
            continue
        header = [str(h) for h in table.get("header") or []]
        for row in rows:
            cells = [str(c) for c in (row.values() if isinstance(row, dict) else row)]
            if len(cells) < 2:
                continue
            for j, cell in enumerate(cells[1:], start=1):
                value = parse_value(cell.strip())
                if value is None:
                    continue
                column = header[j] if j < len(header) else f"col{j}"
                leaves.append({
                    "id": f"tab-{_slug(number)}-{_slug(cells[0])}-{_slug(column)}",
                    "kind": "result", "text": cell.strip(),
                    "where": _where(table, f"Table {number}, row {cells[0]}, column {column}"),
                    "value": value, "tolerance": dict(DEFAULT_TOLERANCE),
                })
    return leaves


# --8<-- [start:rubric_from_outline]
def rubric_from_outline(outline: Outline | dict, arxiv: str = "") -> dict:
    """The rubric of a paper from its outline, as the dict `rubric_yaml` writes.

    Args:
        outline: An `Outline`, or its ``to_dict()``/JSON form.
        arxiv: The paper's arXiv id, if known.
    """
    data = outline if isinstance(outline, dict) else outline.to_dict()
    eqs = [{
        "id": f"eq-{_slug(e['number'])}", "kind": "implementation",
        "text": e["text"], "where": _where(e, f"Eq. ({e['number']})"),
    } for e in data.get("equations", [])]
    algs = [{
        "id": f"alg-{_slug(a['number'])}", "kind": "implementation",
        "text": f"Algorithm {a['number']}: {a.get('title', '')}".rstrip(": "),
        "where": _where(a), "steps": list(a.get("steps", [])),
    } for a in data.get("algorithms", [])]
    by_mentions = sorted(data.get("architecture", []), key=lambda c: -c.get("mentions", 0))
    comps = [{
        "id": f"comp-{_slug(c['text'])}", "kind": "implementation",
        "text": c["text"], "where": _where(c, "first named"),
    } for c in by_mentions[:15]]
    hps = []
    for h in data.get("hyperparameters", []):
        leaf = {"id": f"hp-{_slug(h['name'])}", "kind": "implementation",
                "text": f"{h['name']} = {h['value']}", "where": _where(h)}
        if h.get("numeric") is not None:
            leaf["value"] = h["numeric"]
        hps.append({**leaf, "name": h["name"], "source": h.get("source", "")})
    hp_tables = {str(h["table"]) for h in data.get("hyperparameters", []) if h.get("table")}
    results = _table_leaves(data.get("tables", []), hp_tables)
    groups = [("equations", "Numbered equations", eqs), ("algorithms", "Algorithms", algs),
              ("components", "Model components", comps),
              ("hyperparameters", "Hyperparameters", hps),
              ("results", "Reported results", results)]
    seen: dict[str, int] = {}
    for _, _, leaves in groups:
        for leaf in leaves:  # β = 0.9 and β = 0.98: hp-beta and hp-beta-2
            seen[leaf["id"]] = seen.get(leaf["id"], 0) + 1
            if seen[leaf["id"]] > 1:
                leaf["id"] += f"-{seen[leaf['id']]}"
    paper = {"title": data.get("title") or "Untitled paper", "arxiv": arxiv}
    items = [{"id": gid, "title": title, "children": leaves}
             for gid, title, leaves in groups if leaves]
    return {"paper": paper, "items": items}
# --8<-- [end:rubric_from_outline]


HEADER = """\
# The paper's rubric, written by `paper2code analyze`; edit it by hand.
# Leaves: eq-N equations, alg-N algorithms, comp-* components, hp-* hyperparameters,
# tab-N-ROW-COL reported numbers. Delete noise, add claims, mark a leaf
# `status: out-of-scope` or `status: deviation` with a `reason:`, and state each
# result leaf's tolerance ({abs: x} or {rel: x}) before you run anything.
# Link tests to leaves with @pytest.mark.paper("eq-1"); `paper2code report` grades them.
"""


def rubric_yaml(outline: Outline | dict, arxiv: str = "") -> str:
    """`rubric_from_outline` as the text of ``rubric.yaml``.

    Args:
        outline: An `Outline`, or its ``to_dict()``/JSON form.
        arxiv: The paper's arXiv id, if known.
    """
    body = yaml.safe_dump(rubric_from_outline(outline, arxiv), sort_keys=False,
                          allow_unicode=True, width=100)
    return HEADER + body
