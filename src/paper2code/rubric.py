"""Reproduction rubrics and scorecards: each item of a paper traced to a test.

A **rubric** is a YAML file: ``paper:`` (``title``, ``arxiv``) and ``items:``,
a tree. A node is a group ``{id, title, children}`` or a leaf::

    id: eq-1                  # eq-N, alg-N, hp-NAME, tab-N-ROW-COL, claim-...
    kind: implementation      # implementation | execution | result
    text: "the paper's words or value"
    where: "Section 3.2.1, Eq. (1)"
    value: 65.0e+6            # result leaves: the paper's number
    tolerance: {rel: 0.05}    # with a value: {abs: x} and/or {rel: x}
    status: deviation         # optional: deviation | out-of-scope ...
    reason: "why"             # ... with the reason, required with a status
    code: "paper2code.nn.attention.scaled_dot_product_attention"  # optional

Unknown keys are ignored. A **scorecard** joins the rubric with the outcomes
of the tests linked to its leaves (``@pytest.mark.paper("eq-1")``, see
`paper2code.pytest_plugin`) and gives each leaf one state (`STATES`). It is
rendered as text or Markdown, and recorded as JSON (`Scorecard.to_dict`):
the recording keeps the facts (tests, outcomes, our values), never the
states, which are recomputed by `leaf_state` on every load.

This is the idea of PaperBench (Starace et al., 2025, arXiv:2504.01848):
a tree of leaves in three kinds, graded one by one. Differences from the
paper: leaves are graded by tests, not by a judge model, and unweighted.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = [
    "KINDS", "STATES", "Leaf", "Rubric", "RubricError", "Scorecard",
    "leaf_state", "load_rubric", "parse_rubric",
]

KINDS = ("implementation", "execution", "result")
STATUSES = ("deviation", "out-of-scope")
# Every state a leaf can be in; the first two are red.
STATES = (
    "failed", "off", "verified", "within tolerance", "deviation",
    "implemented", "not run", "not implemented", "out of scope",
)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


class RubricError(ValueError):
    """A rubric that cannot be used; the message is one line for the user."""


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

    def compare(self, ours: float) -> tuple[bool, str]:
        """Whether ``ours`` is within tolerance of the paper's value, and by how much.

        The bound is ``abs + rel * |value|`` (either may be absent).

        Examples:
            >>> Leaf("r", "result", "65M", "Table 3", value=65e6,
            ...      tolerance={"rel": 0.05}).compare(63e6)
            (True, 'off by -2e+06 (-3.1%), tolerance ±3.25e+06')
        """
        diff = ours - self.value
        bound = self.tolerance.get("abs", 0.0) + self.tolerance.get("rel", 0.0) * abs(self.value)
        rel = f" ({diff / self.value:+.1%})" if self.value else ""
        return abs(diff) <= bound, f"off by {diff:+.4g}{rel}, tolerance ±{bound:.4g}"


@dataclass
class Rubric:
    """A validated rubric: the paper and its leaves in document order."""

    title: str
    arxiv: str
    leaves: list[Leaf]
    source: str = ""

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


def _leaf(node: dict, at: str, group: str) -> Leaf:
    kind = node.get("kind")
    if kind not in KINDS:
        raise RubricError(f"{at} ({node['id']}): unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    for key in ("text", "where"):
        if not isinstance(node.get(key), str | int | float) or not str(node[key]).strip():
            raise RubricError(f"{at} ({node['id']}): missing field {key!r}")
    leaf = Leaf(node["id"], kind, str(node["text"]).strip(), str(node["where"]), group,
                code=str(node.get("code") or ""))
    if node.get("value") is not None:
        leaf.value = _number(node["value"], f"{at} ({leaf.id}).value")
    tol = node.get("tolerance")
    # A result leaf may lack a tolerance: `analyze` writes none, the reader states one before the run.
    if tol is not None:
        if not isinstance(tol, dict) or not tol or set(tol) - {"abs", "rel"}:
            raise RubricError(f"{at} ({leaf.id}).tolerance: expected {{abs: x}} and/or {{rel: x}}")
        leaf.tolerance = {k: _number(v, f"{at} ({leaf.id}).tolerance.{k}") for k, v in tol.items()}
        if any(v < 0 for v in leaf.tolerance.values()):
            raise RubricError(f"{at} ({leaf.id}).tolerance: must not be negative")
    if node.get("status") is not None:
        if node["status"] not in STATUSES:
            raise RubricError(
                f"{at} ({leaf.id}): unknown status {node['status']!r}; expected deviation or out-of-scope"
            )
        if not str(node.get("reason") or "").strip():
            raise RubricError(f"{at} ({leaf.id}): status {node['status']} needs a reason")
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

    def walk(nodes: list, at: str, group: str) -> None:
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
            if "children" in node:  # a group
                if "kind" in node or not isinstance(node["children"], list):
                    raise RubricError(f"{source}: {here} ({node_id}): a group has a list "
                                      "'children' and no 'kind'")
                title = str(node.get("title") or node_id)
                walk(node["children"], f"{here}.children", f"{group} / {title}".lstrip(" /"))
            else:
                try:
                    leaves.append(_leaf(node, here, group))
                except RubricError as err:
                    raise RubricError(f"{source}: {err}") from None

    walk(data["items"], "items", "")
    return Rubric(str(paper["title"]).strip(), str(paper.get("arxiv") or ""), leaves, source)


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate the rubric file ``path``; `RubricError` on any problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RubricError(f"{path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise RubricError(f"{path}: not valid YAML{line}") from None
    return parse_rubric(data, str(path))


# --8<-- [start:state]
def leaf_state(
    leaf: Leaf, outcomes: dict[str, str], ours: float | None
) -> tuple[str, str]:
    """The state of ``leaf`` and its detail, from its tests and our value.

    Args:
        leaf: The rubric's leaf.
        outcomes: Node id -> ``passed``, ``failed``, ``skipped``,
            ``not implemented`` (skipped with that reason) or ``not run``,
            for every test linked to the leaf.
        ours: Our value for a result leaf, recorded by the test; or None.
    """
    if leaf.status == "out-of-scope":
        return "out of scope", leaf.reason
    if any(o != "not implemented" for o in outcomes.values()):
        # a stub beside a real test: the stub no longer counts
        outcomes = {t: o for t, o in outcomes.items() if o != "not implemented"}
    ran = [o for o in outcomes.values() if o in ("passed", "failed")]
    if "failed" in ran:
        n = ran.count("failed")
        return "failed", f"{n} of {len(outcomes)} linked tests failed"
    is_result = leaf.kind == "result" and leaf.value is not None
    if is_result and ours is not None:
        ok, detail = leaf.compare(ours)
        if not ok:
            return "off", f"ours {ours:.4g} vs paper {leaf.value:.4g}: {detail}"
    if leaf.status == "deviation" and outcomes:
        return "deviation", leaf.reason
    if not outcomes or all(o == "not implemented" for o in outcomes.values()):
        return "not implemented", ""
    if len(ran) < len(outcomes):  # skipped, or deselected
        state = "not run" if leaf.kind == "result" else "implemented"
        return state, "linked tests did not all run"
    if is_result:
        if ours is None:
            return "not run", "no value recorded by the tests"
        gap = leaf.compare(ours)[1]
        vs = f"ours {ours:.4g} vs paper {leaf.value:.4g}"
        return "within tolerance", f"{vs}: {gap}"
    return "verified", ""
# --8<-- [end:state]


@dataclass
class Row:
    """A leaf of a scorecard: the leaf, its tests and outcomes, our value, its state."""

    leaf: Leaf
    outcomes: dict[str, str]
    ours: float | None = None

    @property
    def state(self) -> tuple[str, str]:
        return leaf_state(self.leaf, self.outcomes, self.ours)


@dataclass
class Scorecard:
    """A rubric graded by a test run."""

    rubric: Rubric
    rows: list[Row]

    @classmethod
    def build(cls, rubric: Rubric, links: dict[str, dict[str, str]],
              results: dict[str, float] | None = None) -> Scorecard:
        """``links``: leaf id -> {node id: outcome}; ``results``: leaf id -> ours."""
        results = results or {}
        return cls(rubric, [Row(leaf, dict(links.get(leaf.id, {})), results.get(leaf.id))
                            for leaf in rubric.leaves])

    def totals(self) -> dict[str, Counter]:
        """For each kind, how many leaves are in each state."""
        out: dict[str, Counter] = {kind: Counter() for kind in KINDS}
        for row in self.rows:
            out[row.leaf.kind][row.state[0]] += 1
        return {kind: counts for kind, counts in out.items() if counts}

    @property
    def red(self) -> list[str]:
        """Ids of the leaves that failed or are off."""
        return [r.leaf.id for r in self.rows if r.state[0] in ("failed", "off")]

    def to_dict(self) -> dict:
        """The recording: the rubric's leaves and the facts of the run, not the states."""
        leaves = []
        for r in self.rows:
            d = {k: v for k, v in vars(r.leaf).items() if v not in ("", None, {})}
            leaves.append({**d, "tests": r.outcomes, **({"ours": r.ours} if r.ours is not None else {})})
        return {"paper": {"title": self.rubric.title, "arxiv": self.rubric.arxiv}, "leaves": leaves}

    @classmethod
    def from_dict(cls, data: dict) -> Scorecard:
        """Read a recording written by `to_dict`; the states are recomputed."""
        rows = []
        for d in data["leaves"]:
            fields = {k: v for k, v in d.items() if k not in ("tests", "ours")}
            rows.append(Row(Leaf(**fields), dict(d.get("tests", {})), d.get("ours")))
        paper = data["paper"]
        return cls(Rubric(paper["title"], paper.get("arxiv", ""), [r.leaf for r in rows]), rows)

    def summary(self) -> str:
        """The totals by kind, one line per kind."""
        return "\n".join(self._totals_lines())

    def _totals_lines(self) -> list[str]:
        lines = []
        for kind, counts in self.totals().items():
            parts = ", ".join(f"{n} {s}" for s in STATES for n in [counts[s]] if n)
            n = sum(counts.values())
            lines.append(f"{kind}: {n} {'leaf' if n == 1 else 'leaves'} — {parts}")
        return lines

    def render_text(self) -> str:
        """The scorecard as plain text, one line per leaf, then the totals."""
        paper = self.rubric.title + (f" (arXiv {self.rubric.arxiv})" if self.rubric.arxiv else "")
        out = [f"Scorecard: {paper}"]
        width = max([len(r.leaf.id) for r in self.rows] + [4])
        for r in self.rows:
            state, detail = r.state
            tests = f"{len(r.outcomes)} test{'s' * (len(r.outcomes) != 1)}"
            line = f"{r.leaf.id:<{width}}  {r.leaf.kind:<14}  {state:<16}  {tests:<8}"
            out.append((line + (f"  {detail}" if detail else "")).rstrip())
        return "\n".join(out + ["", *self._totals_lines()]) + "\n"

    def render_markdown(self) -> str:
        """The scorecard as a Markdown table, then the totals and the deviation log."""
        out = ["| Item | The paper | Code | Tests | State |", "|---|---|---|---|---|"]
        for r in self.rows:
            state, detail = r.state
            mark = {"failed": "❌ ", "off": "❌ ", "verified": "✅ ", "within tolerance": "✅ "}
            cell = f"{mark.get(state, '')}**{state}**" + (f": {_cell(detail)}" if detail else "")
            tests = "<br>".join(f"`{_short(t)}`" for t in r.outcomes) or "—"
            code = f"`{r.leaf.code}`" if r.leaf.code else "—"
            paper = f"{_cell(r.leaf.text)} ({_cell(r.leaf.where)})"
            out.append(f"| `{r.leaf.id}` | {paper} | {code} | {tests} | {cell} |")
        out += ["", *(f"- {line}" for line in self._totals_lines())]
        return "\n".join(out) + "\n"

    def render_deviations(self) -> str:
        """The deviation log as Markdown: paper -> code -> test -> status, with the reason."""
        rows = [r for r in self.rows if r.leaf.status]
        if not rows:
            return "No leaf is marked as a deviation or out of scope.\n"
        out = ["| Item | The paper | Our code | Test | Status |", "|---|---|---|---|---|"]
        for r in rows:
            state, detail = r.state
            code = f"`{r.leaf.code}`" if r.leaf.code else "—"
            tests = "<br>".join(f"`{_short(t)}`" for t in r.outcomes) or "—"
            status = f"**{state}**: {_cell(r.leaf.reason if state != 'failed' else detail)}"
            out.append(f"| `{r.leaf.id}` | {_cell(r.leaf.text)} ({_cell(r.leaf.where)}) | {code} | {tests} | {status} |")
        return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    """One Markdown table cell: pipes and brackets escaped (``S[π](s)`` is not a link)."""
    text = str(text).replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")
    return " ".join(text.split())


def _short(nodeid: str) -> str:
    """``tests/x/test_a.py::test_b[1]`` -> ``test_a.py::test_b[1]``."""
    return nodeid.rsplit("/", 1)[-1]
