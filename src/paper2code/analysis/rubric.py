"""The paper's rubric, drawn from its outline and prose: what `paper2code analyze` writes to rubric.yaml.

A weighted tree organised by contribution, as PaperBench's expert rubrics are
(Starace et al., 2025, arXiv:2504.01848), in this order:

* ``data`` (weight 1): the data sets the paper names (``data-NAME``) and the
  claims of its data sections;
* ``setup`` (weight 1): every hyperparameter of the prose (``hp-NAME``, with
  its value), a group per set-up table with a leaf per row
  (``hp-table-N-ROW``: one configuration), and the
  claims of the set-up sections ("we initialise…"; not a question);
* ``method-…`` (weight 3 each; 1 for an appendix, proofs, background), one
  per section that describes the method:
  its numbered equations (``eq-N``; from LaTeX source, the LaTeX itself),
  algorithms (``alg-N``) and the prose claims an implementer must honour
  (``claim-S-K``: "we use", "must", "multiply by"… see
  `paper2code.analysis.claims`);
* ``experiments`` (weight 2): one execution leaf per results table
  (``exec-table-N``) and per figure first referred to in an experiment
  section (``exec-figure-N``): the run that produces it;
* ``results`` (weight 3): per results table, a result leaf for each number
  the paper reports for its *own* method (``tab-N-ROW-COLUMN``), with the
  ``value`` and, where the cell prints one, its ``spread`` (``4.2 ± 0.2``,
  ``97.86 (3.78)``). Baselines' numbers are left out.

Leaves are typed ``implementation`` / ``execution`` / ``result`` (PaperBench's
Code Development / Code Execution / Result Analysis), carry PaperBench's
fine-grained ``category`` and a ``weight`` among their siblings. No result
leaf has a tolerance: the reader states one before the run, and
``paper2code report`` lists the leaves that still lack it.

What tells an own result from a baseline's: a marker the table extraction
sets (a table's ``own``, a list of row indices or labels, or a row dict's
``own``), when present; otherwise the row label or column header names the
paper's method (`paper2code.analysis.claims.own_names`: "ours", the title's
name, an acronym the paper coins), or, in a table where other rows cite
their source (``VGG [41]``), the rows that cite none.
"""

from __future__ import annotations

import re

import yaml

from paper2code.analysis.claims import datasets, is_claim, own_names, section_role, sentences
from paper2code.analysis.extract import Outline
from paper2code.analysis.rubric_nodes import (
    _DATA,
    _EVAL,
    _METHOD,
    _MINOR,
    _SETUP,
    _leaf,
    _slug,
    _where,
    setup_groups,
)

__all__ = ["WEIGHTS", "rubric_from_outline", "rubric_yaml"]

#: Weights of the top-level groups among themselves (a method group each).
WEIGHTS = {"data": 1, "setup": 1, "method": 3, "experiments": 2, "results": 3}


class _Sections:
    """For a line: its section, the top-level section it belongs to, and that section's role."""

    def __init__(self, sections: list[dict]):
        self.starts = sorted(((s.get("location") or {}).get("line", 0), s["text"]) for s in sections)

    def __call__(self, line: int | None) -> tuple[str, str, str]:
        inner = next((t for start, t in reversed(self.starts) if line and start <= line), "")
        m = re.match(r"([\dA-H]+)[.\s]", inner)
        key = m.group(1) if m else inner
        top = next((t for _, t in self.starts if m and t.startswith(f"{key} ")), inner)
        role = section_role(inner) or section_role(top) or "method"
        return role, key, top


_CELL = re.compile(r"\**\s*(-?\d+(?:\.\d+)?)\s*%?\s*\**\s*(?:(?:±|\+/-|\\pm)\s*(\d+(?:\.\d+)?)|\((\d+(?:\.\d+)?)\))?\s*%?\**")


def _cell(text: str) -> tuple[float, float | None] | None:
    """The value and printed spread of a result cell, or None for one that is not a number.

    Examples:
        >>> [_cell(c) for c in ("27.94", "4.2± 0.2", "97.86(3.78)", "**3.57**", "-", "0.27M")]
        [(27.94, None), (4.2, 0.2), (97.86, 3.78), (3.57, None), None, None]
    """
    m = _CELL.fullmatch(text.strip())
    if not m:
        return None
    spread = m.group(2) or m.group(3)
    return float(m.group(1)), (float(spread) if spread else None)


def _own_marks(table: dict, rows: list) -> set[int] | None:
    """Row indices the table extraction marked as the paper's own, or None if it marks none."""
    own = table.get("own")
    if isinstance(own, list | tuple | set):
        labels = {str(o) for o in own if not isinstance(o, int)}
        return {i for i, row in enumerate(rows) if i in own or (_cells(row)[:1] and _cells(row)[0] in labels)}
    if any(isinstance(row, dict) and "own" in row for row in rows):
        return {i for i, row in enumerate(rows) if isinstance(row, dict) and row.get("own")}
    return None


def _cells(row) -> list[str]:
    if isinstance(row, dict):
        row = row.get("cells", list(row.values()))
    return [str(c) for c in row]


def _names(text: str, names: list[str]) -> bool:
    tokens = re.findall(r"[\w-]+", text.lower())
    return any(t.startswith(n.lower()) for t in tokens for n in names)


_CITES = re.compile(r"\[\d+(?:,\s*\d+)*\]")


def _result_leaves(table: dict, names: list[str]) -> list[dict]:
    """A result leaf per own number of a results table."""
    rows, number = table.get("rows") or [], str(table["number"])
    if isinstance(table.get("results"), list):  # the extraction told own from baselines
        # ... or a row that names the method as the rubric's own rules find it (a name the
        # paper coins in its text, e.g. "residual nets (ResNets)"), and cites no source.
        return [_from_result(r, number, table) for r in table["results"]
                if r.get("value") is not None
                and (r.get("own") or (not _CITES.search(str(r.get("row", ""))) and (
                    _names(str(r.get("row", "")), names) or _names(str(r.get("column", "")), names))))
                and not re.search(r"\bbaselines?\b", str(r.get("row", "")), re.I)]
    header = [str(h) for h in table.get("header") or []]
    marks = _own_marks(table, rows)
    cited = [bool(_CITES.search(" ".join(_cells(r)[:2]))) for r in rows]
    leaves = []
    for i, row in enumerate(rows):
        cells = _cells(row)
        label = cells[0].strip() if cells else ""
        if not label or re.search(r"\bbaselines?\b", label, re.I):
            continue
        row_own = i in marks if marks is not None else (
            (_names(label, names) and not cited[i]) or (any(cited) and not cited[i]))
        for j, cell in enumerate(cells[1:], start=1):
            column = header[j] if j < len(header) and header[j].strip() else f"col{j}"
            own = row_own or (marks is None and not cited[i] and _names(column, names))
            parsed = _cell(cell)
            if not own or parsed is None:
                continue
            leaf = {"id": f"tab-{_slug(number)}-{_slug(label)}-{_slug(column)}", "kind": "result",
                    "category": _EVAL, "weight": 1, "text": f"{label}, {column}: {cell.strip()}",
                    "where": _where(table, f"Table {number}, row {label}, column {column}"),
                    "value": parsed[0]}
            if parsed[1] is not None:
                leaf["spread"] = parsed[1]
            leaves.append(leaf)
    return leaves


def _from_result(r: dict, number: str, table: dict) -> dict:
    """A result leaf from one cell of `paper2code.analysis.results.table_results`."""
    label, column = str(r.get("row") or "").strip(), str(r.get("column") or "").strip() or "value"
    leaf = {"id": f"tab-{_slug(number)}-{_slug(label)}-{_slug(column)}", "kind": "result",
            "category": _EVAL, "weight": 1, "text": f"{label}, {column}: {str(r.get('text', '')).strip()}",
            "where": _where(table, f"Table {number}, row {label}, column {column}"),
            "value": float(r["value"])}
    if r.get("spread") is not None:
        leaf["spread"] = float(r["spread"])
    return leaf


# --8<-- [start:rubric_from_outline]
def rubric_from_outline(outline: Outline | dict, arxiv: str = "", text: str | None = None) -> dict:
    """The rubric tree of a paper, as the dict `rubric_yaml` writes.

    Args:
        outline: An `Outline`, or its ``to_dict()``/JSON form.
        arxiv: The paper's arXiv id, if known.
        text: The paper's text (``Conversion.text``: LaTeX source or the
            converted PDF), for claims and data sets; without it the tree
            has only what the outline holds.
    """
    data = outline if isinstance(outline, dict) else outline.to_dict()
    title = data.get("title") or "Untitled paper"
    section = _Sections(data.get("sections", []))
    found = sentences(text) if text else []
    methods: dict[str, dict] = {}  # section key -> group
    pages = _pages(text)

    def at(line: int) -> dict:
        return {"page": pages[line - 1] if pages else None, "section": _inner(section, line), "line": line}

    def method(line: int | None) -> dict:
        _, key, top = section(line)
        name = re.sub(r"^[\dA-H.]+\s+", "", top) or "Other"
        # an appendix, the proofs, the background: read for the method, weighed below it
        minor = re.match(r"[A-H](?:\.\d+)*\s|appendix", top, re.I) or _MINOR.search(name)
        return methods.setdefault(key, {
            "id": f"method-{_slug(name)}", "title": f"{top or 'Outside any section'}",
            "weight": 1 if minor else WEIGHTS["method"], "children": []})

    setup, setup_claims, data_leaves = [], [], []
    for e in data.get("equations", []):
        line = (e.get("location") or {}).get("line")
        method(line)["children"].append(_leaf(
            f"eq-{_slug(e['number'])}", "implementation", _METHOD, e.get("latex") or e["text"],
            _where(e, f"Eq. ({e['number']})"), 2))
    for a in data.get("algorithms", []):
        method((a.get("location") or {}).get("line"))["children"].append(_leaf(
            f"alg-{_slug(a['number'])}", "implementation", _METHOD,
            f"Algorithm {a['number']}: {a.get('title', '')}".rstrip(": "), _where(a), 3,
            steps=list(a.get("steps", []))))
    counts: dict[str, int] = {}
    for line, sentence in found:
        role, key, _ = section(line)
        if role not in ("method", "setup", "data") or not is_claim(sentence) or sentence.rstrip().endswith("?"):
            continue  # a question is no requirement
        counts[key] = counts.get(key, 0) + 1
        leaf = _leaf(f"claim-{_slug(key)}-{counts[key]}", "implementation",
                     {"method": _METHOD, "setup": _SETUP, "data": _DATA}[role], sentence,
                     _where({"location": at(line)}))
        target = method(line)["children"] if role == "method" else setup_claims if role == "setup" else data_leaves
        target.append(leaf)
    for name, line, sentence in datasets([s for s in found if section(s[0])[0] != "other"]):
        data_leaves.insert(0, _leaf(f"data-{_slug(name)}", "implementation", "Dataset and Model Acquisition",
                                    f"{name}: {sentence}", _where({"location": at(line)})))
    setup += setup_groups(data.get("hyperparameters", []), data.get("tables", []))
    names = own_names(title, found)
    runs, results = [], []
    for table in data.get("tables", []):
        if not table.get("rows") or table.get("setup") or not table.get("number"):
            continue
        number = str(table["number"])
        caption = " ".join(str(table.get("caption") or f"Table {number}").split())[:200]
        runs.append(_leaf(f"exec-table-{_slug(number)}", "execution", _EVAL,
                          f"Run the experiment that produces Table {number}: {caption}", _where(table, f"Table {number}")))
        own = _result_leaves(table, names)
        if own:
            results.append({"id": f"results-table-{_slug(number)}", "title": f"Table {number}: {caption[:80]}",
                            "weight": 1, "children": own})
    for fig in data.get("figures", []):  # a figure first referred to in an experiment section: a run
        line = (fig.get("location") or {}).get("line")
        if fig.get("number") and section(line)[0] == "experiment":
            runs.append(_leaf(f"exec-figure-{_slug(fig['number'])}", "execution", _EVAL,
                              f"Run the experiment that produces Figure {fig['number']}",
                              _where(fig, f"Figure {fig['number']}, first referred to")))
    items = [
        {"id": "data", "title": "Data", "weight": WEIGHTS["data"], "children": data_leaves},
        {"id": "setup", "title": "Set-up: hyperparameters and training", "weight": WEIGHTS["setup"],
         "children": setup + setup_claims},
        *methods.values(),
        {"id": "experiments", "title": "Experiments: the runs", "weight": WEIGHTS["experiments"], "children": runs},
        {"id": "results", "title": "Results the paper reports for its own method", "weight": WEIGHTS["results"],
         "children": results},
    ]
    items = [g for g in items if g["children"]]
    _unique(items)
    return {"paper": {"title": title, "arxiv": arxiv}, "items": items}
# --8<-- [end:rubric_from_outline]


def _inner(section: _Sections, line: int) -> str:
    return next((t for start, t in reversed(section.starts) if start <= line), "")


def _pages(text: str | None) -> list[int] | None:
    """The page of each line of a PDF's text (its page marks and form feeds); None for other text."""
    if not text or ("<!-- page " not in text and "\f" not in text):
        return None
    pages, page = [], 1
    for line in text.split("\n"):
        if m := re.match(r"^<!-- page (\d+) -->$", line):
            page = int(m.group(1))
        pages.append(page)
        page += line.count("\f")
    return pages


def _unique(nodes: list[dict], seen: dict[str, int] | None = None) -> None:
    """Make ids unique in document order: β = 0.9 and β = 0.98 give hp-beta and hp-beta-2."""
    seen = {} if seen is None else seen
    for node in nodes:
        seen[node["id"]] = seen.get(node["id"], 0) + 1
        if seen[node["id"]] > 1:
            node["id"] += f"-{seen[node['id']]}"
        _unique(node.get("children", []), seen)


HEADER = """\
# The paper's rubric, written by `paper2code analyze`; edit it by hand.
# A weighted tree, as PaperBench's: data, set-up, one group per method section, experiments
# (a run per results table), results (the paper's numbers for its own method). `weight` is
# relative among siblings. Leaves: data-*, hp-*, eq-N, alg-N, claim-*, exec-*, tab-N-ROW-COL.
# Delete noise, add what is missing, mark a leaf `status: out-of-scope` or `status: deviation`
# with a `reason:`. Result leaves have no tolerance: state one before you run anything,
#   tolerance: {abs: 0.5}            # or {rel: 0.01}
# or a pre-registered comparison over seeds (paper2code.statistics.evaluation):
#   criterion: {test: paper, margin: 0.5, seeds: [0, 1, 2, 3, 4], metric: "top-1 error, %", confidence: 0.95}
# Link tests to leaves with @pytest.mark.paper("eq-1"); `paper2code report` grades them.
"""


def rubric_yaml(outline: Outline | dict, arxiv: str = "", text: str | None = None) -> str:
    """`rubric_from_outline` as the text of ``rubric.yaml``.

    Args:
        outline: An `Outline`, or its ``to_dict()``/JSON form.
        arxiv: The paper's arXiv id, if known.
        text: The paper's text, for claims and data sets.
    """
    body = yaml.safe_dump(rubric_from_outline(outline, arxiv, text), sort_keys=False,
                          allow_unicode=True, width=100)
    return HEADER + body
