"""Reproduction rubrics: each item of a paper, as a tree of gradable leaves.

A **rubric** is a YAML file: ``paper:`` (``title``, ``arxiv``) and ``items:``,
a tree. A node is a group ``{id, title, children}`` (with an optional
``weight`` and ``category``) or a leaf::

    id: eq-1                  # eq-N, alg-N, hp-NAME, tab-N-ROW-COL, claim-...
    kind: implementation      # implementation | execution | result
    text: "the paper's words or value"
    where: "Section 3.2.1, Eq. (1)"
    weight: 2                 # optional, default 1: among its siblings (PaperBench)
    category: "Method Implementation"   # optional: PaperBench's fine-grained category
    value: 65.0e+6            # result leaves: the paper's number
    spread: 1.0e+6            # optional: the paper's own ± for it
    tolerance: {rel: 0.05}    # with a value: {abs: x} and/or {rel: x}, stated before the run
    criterion: {test: paper, margin: 2.0e+6, seeds: [0, 1, 2, 3, 4]}   # a comparison fixed first
    status: deviation         # optional: deviation | out-of-scope ...
    reason: "why"             # ... with the reason, required with a status
    code: "paper2code.nn.attention.scaled_dot_product_attention"  # optional

A ``criterion`` is a comparison fixed before the runs, judged by
`paper2code.statistics` on per-seed values: ``test: paper`` (our runs
against the paper's value, `compare_to_paper`, with a ``margin``), ``paired``
(an arm against a baseline arm over the same seeds, `compare_arms`, with
``expect: higher`` or ``lower``) or ``equivalence`` (two arms, `equivalence`,
with a ``margin``); also ``arms``, ``seeds``, ``metric``, ``confidence``
(default 0.95), ``margin``, ``paper_runs``, ``changed`` (why it was changed
after seeing data: the deviation log lists it), ``bounds`` and
``conjunction``. What binds a criterion to its data and its code::

    criterion:
      test: paired
      arms: [clip, no clip]
      seeds: [0, 1, 2, 3, 4, 5, 6, 7]
      seen: [0, 1, 2]           # seen before registration: exploratory, not in the verdict
      metric: "mean of the last 5 evaluations"
      expect: higher
      produced_by: ["paper2code.case_studies.ppo_experiment:stability",
                    "paper2code.case_studies.ppo_experiment:ARMS"]
      fingerprint: "0123456789ab"   # python -m paper2code.scoring.registration RUBRIC
      changed: "why it changed after the data were seen"

``fingerprint`` is the first 12 hex digits of a SHA-256 over the source of
everything in ``produced_by`` (a function's or class's source by
`inspect.getsource`, dedented, trailing blanks, blank lines and whole-line
comments dropped, docstrings and inline comments kept; a function's
signature with its default values; any other object by its ``repr``) and
over the criterion's ``test``, ``arms``, ``seeds``, ``seen``, ``metric``,
``expect``, ``margin``, ``confidence`` and ``paper_runs``
(`paper2code.scoring.registration.fingerprint`). The suite fails when they
no longer give the registered value; a recording stores the fingerprint it
ran with. The full list of keys: `paper2code.scoring.criterion`. A result
leaf with a value and neither a tolerance nor a
criterion is valid: its scorecard row says it *needs a tolerance*.

Unknown keys are ignored. The scorecard (`paper2code.scoring.scorecard`) joins a
rubric with the outcomes of its tests; `paper2code.scoring.paperbench` converts to
and from PaperBench's ``rubric.json`` and computes its weighted score.

This is the idea of PaperBench (Starace et al., 2025, arXiv:2504.01848):
a weighted tree of leaves in three kinds. Differences from the paper:
leaves are graded by tests, not by a judge model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from paper2code.scoring.criterion import TESTS, CriterionError, parse_criterion

# Scorecard, Row, STATES and leaf_state live in paper2code.scoring.scorecard; importing
# them from here still works (see __getattr__ at the end).
__all__ = [
    "KINDS", "TESTS", "Group", "Leaf", "Rubric", "RubricError", "load_rubric", "parse_rubric",
    "tolerance_text",
]

KINDS = ("implementation", "execution", "result")
STATUSES = ("deviation", "out-of-scope")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


class RubricError(ValueError):
    """A rubric that cannot be used; the message is one line for the user."""


def tolerance_text(tolerance: dict, value: float) -> str:
    """The tolerance in words: ``±1% (relative, ±0.009)``, ``±0.02 (absolute)``.

    Examples:
        >>> tolerance_text({"rel": 0.01}, 0.9)
        '±1% (relative, ±0.009)'
        >>> tolerance_text({"abs": 0.02, "rel": 0.01}, 0.9)
        '±0.02 (absolute) + 1% (relative) = ±0.029'
    """
    a, r = tolerance.get("abs"), tolerance.get("rel")
    bound = (a or 0.0) + (r or 0.0) * abs(value)
    if r is None:
        return f"±{a:.4g} (absolute)"
    if a is None:
        return f"±{100 * r:.4g}% (relative, ±{bound:.4g})"
    return f"±{a:.4g} (absolute) + {100 * r:.4g}% (relative) = ±{bound:.4g}"


@dataclass
class Leaf:
    """One gradable item of the paper."""

    id: str
    kind: str
    text: str
    where: str
    group: str = ""  # titles of the groups above it, "Model / Attention"
    value: float | None = None
    tolerance: dict = field(default_factory=dict)
    status: str = ""
    reason: str = ""
    code: str = ""
    weight: float = 1.0
    category: str = ""
    spread: float | None = None
    criterion: dict = field(default_factory=dict)

    def compare(self, ours: float) -> tuple[bool, str]:
        """Whether ``ours`` is within tolerance of the paper's value, and by how much.

        The bound is ``abs + rel * |value|`` (either may be absent).

        Examples:
            >>> Leaf("r", "result", "65M", "Table 3", value=65e6,
            ...      tolerance={"rel": 0.05}).compare(63e6)
            (True, 'off by -2e+06 (-3.1%), tolerance ±5% (relative, ±3.25e+06)')
        """
        diff = ours - self.value
        bound = self.tolerance.get("abs", 0.0) + self.tolerance.get("rel", 0.0) * abs(self.value)
        rel = f" ({diff / self.value:+.1%})" if self.value else ""
        return abs(diff) <= bound, f"off by {diff:+.4g}{rel}, tolerance {tolerance_text(self.tolerance, self.value)}"

    @property
    def needs_tolerance(self) -> bool:
        """A result with the paper's value and no stated way to judge ours."""
        return (self.kind == "result" and self.value is not None and not self.tolerance
                and not self.criterion and self.status != "out-of-scope")


@dataclass
class Group:
    """A group of the rubric's tree: its leaves and groups, with a weight."""

    id: str
    title: str
    children: list[Group | Leaf] = field(default_factory=list)
    weight: float = 1.0
    category: str = ""
    task_category: str = ""  # kept verbatim from a PaperBench rubric, where set on a parent


@dataclass
class Rubric:
    """A validated rubric: the paper, its leaves in document order, and its tree."""

    title: str
    arxiv: str
    leaves: list[Leaf]
    source: str = ""
    tree: list[Group | Leaf] = field(default_factory=list)

    def leaf(self, leaf_id: str) -> Leaf:
        """The leaf ``leaf_id``; `KeyError` with a readable message if absent."""
        for leaf in self.leaves:
            if leaf.id == leaf_id:
                return leaf
        raise KeyError(f"{leaf_id!r} is not a leaf of {self.source or 'the rubric'}")


def _number(value, where: str) -> float:
    try:
        number = float(value)  # "65e6" is a string to YAML 1.1
    except (TypeError, ValueError):
        raise RubricError(f"{where}: {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise RubricError(f"{where}: {value!r} is not a finite number")
    return number


def _weight(node: dict, at: str) -> float:
    if node.get("weight") is None:
        return 1.0
    weight = _number(node["weight"], f"{at}.weight")
    if weight < 0:
        raise RubricError(f"{at}.weight: must not be negative")
    return weight


def _criterion(raw, at: str, leaf: Leaf) -> dict:
    """Validate a leaf's ``criterion`` (`paper2code.scoring.criterion`); `RubricError` if unusable."""
    try:
        return parse_criterion(raw, at, leaf.kind, leaf.value)
    except CriterionError as err:
        raise RubricError(str(err)) from None


def _leaf(node: dict, at: str, group: str) -> Leaf:
    kind = node.get("kind")
    if kind not in KINDS:
        raise RubricError(f"{at} ({node['id']}): unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    for key in ("text", "where"):
        if not isinstance(node.get(key), str | int | float) or not str(node[key]).strip():
            raise RubricError(f"{at} ({node['id']}): missing field {key!r}")
    leaf = Leaf(node["id"], kind, str(node["text"]).strip(), str(node["where"]), group,
                code=str(node.get("code") or ""), category=str(node.get("category") or ""))
    at = f"{at} ({leaf.id})"
    leaf.weight = _weight(node, at)
    if node.get("value") is not None:
        leaf.value = _number(node["value"], f"{at}.value")
    if node.get("spread") is not None:
        leaf.spread = _number(node["spread"], f"{at}.spread")
        if leaf.spread < 0:
            raise RubricError(f"{at}.spread: must not be negative")
    tol = node.get("tolerance")
    if tol is not None:
        if not isinstance(tol, dict) or not tol or set(tol) - {"abs", "rel"}:
            raise RubricError(f"{at}.tolerance: expected {{abs: x}} and/or {{rel: x}}")
        leaf.tolerance = {k: _number(v, f"{at}.tolerance.{k}") for k, v in tol.items()}
        if any(v < 0 for v in leaf.tolerance.values()):
            raise RubricError(f"{at}.tolerance: must not be negative")
        if leaf.value is None:
            raise RubricError(f"{at}.tolerance: a tolerance needs the paper's value")
    if node.get("criterion") is not None:
        leaf.criterion = _criterion(node["criterion"], at, leaf)
    if node.get("status") is not None:
        if node["status"] not in STATUSES:
            raise RubricError(f"{at}: unknown status {node['status']!r}; expected deviation or out-of-scope")
        if not str(node.get("reason") or "").strip():
            raise RubricError(f"{at}: status {node['status']} needs a reason")
        leaf.status, leaf.reason = node["status"], str(node["reason"]).strip()
    return leaf


def parse_rubric(data, source: str = "rubric") -> Rubric:
    """Validate a rubric read from YAML; raise `RubricError` on the first problem."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise RubricError(f"{source}: expected a mapping with 'paper:' and a list 'items:'")
    paper = data.get("paper") or {}
    if not isinstance(paper, dict) or not str(paper.get("title") or "").strip():
        raise RubricError(f"{source}: missing field 'paper: title'")
    leaves: list[Leaf] = []
    seen: set[str] = set()

    def walk(nodes: list, at: str, group: str) -> list[Group | Leaf]:
        out: list[Group | Leaf] = []
        for i, node in enumerate(nodes):
            here = f"{at}[{i}]"
            if not isinstance(node, dict):
                raise RubricError(f"{source}: {here}: expected a mapping, got {node!r}")
            node_id = node.get("id")
            if not isinstance(node_id, str) or not _ID.fullmatch(node_id):
                raise RubricError(f"{source}: {here}: missing or invalid id {node_id!r}")
            if node_id in seen:
                raise RubricError(f"{source}: {here}: duplicate id {node_id!r}")
            seen.add(node_id)
            try:
                if "children" in node:  # a group
                    if "kind" in node or not isinstance(node["children"], list):
                        raise RubricError(f"{here} ({node_id}): a group has a list "
                                          "'children' and no 'kind'")
                    title = str(node.get("title") or node_id)
                    g = Group(node_id, title, weight=_weight(node, f"{here} ({node_id})"),
                              category=str(node.get("category") or ""),
                              task_category=str(node.get("task_category") or ""))
                    g.children = walk(node["children"], f"{here}.children",
                                      f"{group} / {title}".lstrip(" /"))
                    out.append(g)
                else:
                    out.append(_leaf(node, here, group))
                    leaves.append(out[-1])
            except RubricError as err:
                message = str(err)
                raise RubricError(message if message.startswith(source) else f"{source}: {message}") from None
        return out

    tree = walk(data["items"], "items", "")
    return Rubric(str(paper["title"]).strip(), str(paper.get("arxiv") or ""), leaves, source, tree)


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate the rubric file ``path``; `RubricError` on any problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RubricError(f"{path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise RubricError(f"{path}: not a text file (UTF-8)") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise RubricError(f"{path}: not valid YAML{line}") from None
    return parse_rubric(data, str(path))

