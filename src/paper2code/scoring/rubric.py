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
`paper2code.statistics.evaluation` on per-seed values: ``test: paper`` (our runs
against the paper's value, `compare_to_paper`, with a ``margin``), ``paired``
(an arm against a baseline arm over the same seeds, `compare_arms`, with
``expect: higher`` or ``lower``) or ``equivalence`` (two arms, `equivalence`,
with a ``margin``; its ``confidence`` c is a TOST at α = 1 - c, a 1 - 2α interval); also
``arms``, ``seeds``, ``metric``, ``confidence`` (default 0.95), ``margin``,
``paper_runs`` (``test: paper`` only: the paper's value is a mean of that many
runs; default 1) and ``changed`` (why it was changed after seeing data: the
deviation log lists it). A result leaf with a value and neither a tolerance nor a
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

# Scorecard, Row, STATES and leaf_state live in paper2code.scoring.scorecard; importing
# them from here still works (see __getattr__ at the end).
__all__ = [
    "KINDS", "TESTS", "Group", "Leaf", "Rubric", "RubricError", "load_rubric", "parse_rubric",
    "tolerance_text",
]

KINDS = ("implementation", "execution", "result")
STATUSES = ("deviation", "out-of-scope")
TESTS = ("paper", "paired", "equivalence")  # the tests a criterion can name
_CRITERION_KEYS = {"test", "arms", "seeds", "metric", "expect", "margin", "confidence", "changed", "paper_runs"}
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
    """Validate a leaf's ``criterion``; the normalised mapping (confidence filled in)."""
    at = f"{at}.criterion"
    if not isinstance(raw, dict):
        raise RubricError(f"{at}: expected a mapping with 'test: paper|paired|equivalence'")
    unknown = sorted(set(raw) - _CRITERION_KEYS)
    if unknown:
        raise RubricError(f"{at}: unknown key {unknown[0]!r}; expected {', '.join(sorted(_CRITERION_KEYS))}")
    test = raw.get("test")
    if test not in TESTS:
        raise RubricError(f"{at}.test: {test!r}; expected one of {', '.join(TESTS)}")
    if leaf.kind != "result":
        raise RubricError(f"{at}: only a result leaf has a criterion, not a {leaf.kind} leaf")
    out: dict = {"test": test}
    confidence = _number(raw.get("confidence", 0.95), f"{at}.confidence")
    if not 0.5 < confidence < 1:
        raise RubricError(f"{at}.confidence: {confidence:g} is not in (0.5, 1)")
    out["confidence"] = confidence
    if raw.get("margin") is not None:
        out["margin"] = _number(raw["margin"], f"{at}.margin")
        if out["margin"] <= 0:
            raise RubricError(f"{at}.margin: must be positive")
    elif test in ("equivalence", "paper"):  # without one, "consistent" would mean only "not rejected"
        raise RubricError(f"{at}: a{'n' if test == 'equivalence' else ''} {test} test needs a margin "
                          "(the smallest difference that matters), stated before the runs")
    if test == "paired":
        if raw.get("expect") not in ("higher", "lower"):
            raise RubricError(f"{at}.expect: {raw.get('expect')!r}; a paired test expects higher or lower")
        out["expect"] = raw["expect"]
    elif raw.get("expect") is not None:
        raise RubricError(f"{at}.expect: only a paired test has an expected direction")
    if test == "paper" and leaf.value is None:
        raise RubricError(f"{at}: test paper compares with the paper's value, and the leaf has none")
    if raw.get("paper_runs") is not None:
        runs = raw["paper_runs"]
        if test != "paper":
            raise RubricError(f"{at}.paper_runs: only a paper test compares with the paper's runs")
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise RubricError(f"{at}.paper_runs: expected how many runs the paper's value is a mean of "
                              f"(an integer >= 1), got {runs!r}")
        out["paper_runs"] = runs
    if raw.get("seeds") is not None:
        seeds = raw["seeds"]
        if not isinstance(seeds, list) or len(seeds) < 2 or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise RubricError(f"{at}.seeds: expected a list of at least 2 integer seeds")
        if len(set(seeds)) != len(seeds):
            raise RubricError(f"{at}.seeds: a seed is listed twice")
        out["seeds"] = list(seeds)
    if raw.get("arms") is not None:
        arms = raw["arms"]
        if not isinstance(arms, list) or not 1 <= len(arms) <= 2 or not all(isinstance(a, str) for a in arms):
            raise RubricError(f"{at}.arms: expected one or two names, ours first")
        out["arms"] = list(arms)
    for key in ("metric", "changed"):
        if raw.get(key) is not None:
            if not str(raw[key]).strip():
                raise RubricError(f"{at}.{key}: empty")
            out[key] = str(raw[key]).strip()
    return out


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

