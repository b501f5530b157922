"""Scorecards: a rubric graded by a test run, rendered as text or Markdown.

A **scorecard** joins the rubric (`paper2code.scoring.rubric`) with the outcomes of
the tests linked to its leaves (``@pytest.mark.paper("eq-1")``, see
`paper2code.scoring.pytest_plugin`) and gives each leaf one state (`STATES`). It is
recorded as JSON (`Scorecard.to_dict`): the recording keeps the facts
(tests, outcomes, our values, per-seed runs, the fingerprint a criterion ran
with), never the states or verdicts,
which are recomputed by `leaf_state` on every load.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from paper2code.scoring.judging import expected_verdict, family_lines, judge, verdict_detail
from paper2code.scoring.rubric import KINDS, Leaf, Rubric

__all__ = ["RED", "STATES", "Row", "Scorecard", "expected_verdict", "judge", "leaf_state"]

# Every state a leaf can be in; the first two are red.
STATES = (
    "failed", "off", "verified", "within tolerance", "consistent", "cannot tell",
    "needs a tolerance", "deviation", "implemented", "not run", "not implemented", "out of scope",
)
RED = ("failed", "off")
STUB = "not implemented"  # a test skipped with that reason: a stub, not a test
COLLAPSE = 3  # render_text: this many stub leaves of one group in a row take one line
DESELECTED = "not run"


# --8<-- [start:state]
def leaf_state(
    leaf: Leaf, outcomes: dict[str, str], ours: float | None,
    values: list[float] | None = None, baseline: list[float] | None = None,
) -> tuple[str, str]:
    """The state of ``leaf`` and its detail, from its tests and our values.

    Args:
        leaf: The rubric's leaf.
        outcomes: Node id -> ``passed``, ``failed``, ``skipped``,
            ``not implemented`` (skipped with that reason: a stub) or
            ``not run`` (deselected), for every test linked to the leaf.
        ours: Our value for a result leaf, recorded by the test; or None.
        values: Per-seed runs for a leaf with a ``criterion``.
        baseline: The baseline arm's runs over the same seeds, if any.
    """
    if leaf.status == "out-of-scope":
        return "out of scope", leaf.reason
    tests = {t: o for t, o in outcomes.items() if o != STUB}  # a stub is not a test
    ran = [o for o in tests.values() if o in ("passed", "failed")]
    numbers = ""  # ours against the paper, for a result leaf
    verdict = None
    if leaf.criterion and values is not None:
        word, want, numbers = verdict_detail(leaf, values, baseline)
        verdict = "consistent" if word == want else "cannot tell" if word in (
            "cannot tell", "not shown equivalent") else "off"
    elif ours is not None and leaf.value is not None:
        spread = f" ± {leaf.spread:.4g}" if leaf.spread is not None else ""
        numbers = f"ours {ours:.4g} vs paper {leaf.value:.4g}{spread}"
        if leaf.tolerance:
            ok, gap = leaf.compare(ours)
            numbers, verdict = f"{numbers}: {gap}", "within tolerance" if ok else "off"
        elif not leaf.criterion:
            numbers, verdict = f"{numbers}; no tolerance stated", "needs a tolerance"
    if "failed" in ran:
        detail = f"{ran.count('failed')} of {len(tests)} linked tests failed"
        return "failed", detail + (f"; {numbers}" if numbers else "")
    if verdict == "off":
        return "off", numbers
    if leaf.status == "deviation" and "passed" in ran:  # the verdict stays in view
        return "deviation", leaf.reason + (f"; {numbers}" if numbers else "")
    if not tests:
        return "not implemented", ""
    if not ran:
        if DESELECTED in tests.values():
            return "not run", "linked tests deselected"
    if len(ran) < len(tests):  # skipped, or deselected
        state = "not run" if leaf.kind == "result" else "implemented"
        return state, "linked tests did not all run"
    if leaf.kind == "result" and (leaf.value is not None or leaf.criterion):
        if verdict is None and leaf.needs_tolerance:
            return "needs a tolerance", "state a tolerance or criterion before the run"
        if verdict is None:
            return "not run", "no value recorded by the tests"
        return verdict, numbers
    return "verified", ""
# --8<-- [end:state]


@dataclass
class Row:
    """A leaf of a scorecard: the leaf, its tests and outcomes, our values, its state."""

    leaf: Leaf
    outcomes: dict[str, str]
    ours: float | None = None
    values: list[float] | None = None
    baseline: list[float] | None = None
    ran_with: str | None = None  # the fingerprint the run computed for the leaf's criterion

    @property
    def state(self) -> tuple[str, str]:
        return leaf_state(self.leaf, self.outcomes, self.ours, self.values, self.baseline)

    @property
    def tests(self) -> list[str]:
        """The linked tests, stubs left out."""
        return [t for t, o in self.outcomes.items() if o != STUB]


def _result(value) -> dict:
    """A recorded result: a number, or ``{"values": [...], "baseline": [...]}``."""
    if isinstance(value, dict):
        values = [float(v) for v in value["values"]]
        base = value.get("baseline")
        return {"ours": sum(values) / len(values), "values": values,
                "baseline": [float(b) for b in base] if base is not None else None,
                "ran_with": value.get("ran_with")}
    return {"ours": value}


@dataclass
class Scorecard:
    """A rubric graded by a test run."""

    rubric: Rubric
    rows: list[Row]

    @classmethod
    def build(cls, rubric: Rubric, links: dict[str, dict[str, str]],
              results: dict | None = None) -> Scorecard:
        """``links``: leaf id -> {node id: outcome}; ``results``: leaf id -> ours or per-seed runs."""
        results = results or {}
        return cls(rubric, [Row(leaf, dict(links.get(leaf.id, {})), **_result(results.get(leaf.id)))
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
        return [r.leaf.id for r in self.rows if r.state[0] in RED]

    @property
    def needs_tolerance(self) -> list[str]:
        """Ids of the result leaves with a value and no tolerance or criterion yet."""
        return [r.leaf.id for r in self.rows if r.leaf.needs_tolerance]

    def to_dict(self) -> dict:
        """The recording: the rubric's leaves and the facts of the run, not the states."""
        leaves = []
        for r in self.rows:
            d = {k: v for k, v in vars(r.leaf).items() if v not in ("", None, {})}
            if d.get("weight") == 1.0:
                del d["weight"]
            facts = {"ours": r.ours, "values": r.values, "baseline": r.baseline, "ran_with": r.ran_with}
            leaves.append({**d, "tests": r.outcomes, **{k: v for k, v in facts.items() if v is not None}})
        return {"paper": {"title": self.rubric.title, "arxiv": self.rubric.arxiv}, "leaves": leaves}

    @classmethod
    def from_dict(cls, data: dict) -> Scorecard:
        """Read a recording written by `to_dict`; the states are recomputed."""
        rows = []
        for d in data["leaves"]:
            fields = {k: v for k, v in d.items() if k not in ("tests", "ours", "values", "baseline", "ran_with")}
            rows.append(Row(Leaf(**fields), dict(d.get("tests", {})), d.get("ours"),
                            d.get("values"), d.get("baseline"), d.get("ran_with")))
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

    def _footer(self) -> list[str]:
        """The totals, PaperBench's weighted score (with a tree), the leaves still to judge."""
        from paper2code.scoring.paperbench import score_lines

        lines = [*self._totals_lines(), *family_lines(self.rows)]
        if self.rubric.tree:
            lines += score_lines(self)
        if self.needs_tolerance:
            ids = self.needs_tolerance
            named = ", ".join(ids) if len(ids) <= 8 else f"{', '.join(ids[:5])} and {len(ids) - 5} more"
            lines.append("Result leaves without a tolerance or criterion (state one in the rubric "
                         f"before the run): {named}")
        return lines

    def render_text(self) -> str:
        """The scorecard as plain text, one line per leaf, then the totals.

        A run of `COLLAPSE` or more leaves of one group that are all ``not
        implemented`` takes one line (a fresh project's 300 stubs are not 300 lines).
        """
        paper = self.rubric.title + (f" (arXiv {self.rubric.arxiv})" if self.rubric.arxiv else "")
        out = [f"Scorecard: {paper}"]
        width = max([len(r.leaf.id) for r in self.rows] + [4])
        rows = list(self.rows)
        while rows:
            # COLLAPSE or more leaves of one group in a row, none implemented yet: one line
            run = 0
            while run < len(rows) and rows[run].state[0] == STUB and rows[run].leaf.group == rows[0].leaf.group:
                run += 1
            if run >= COLLAPSE:
                group = rows[0].leaf.group or "(no group)"
                out.append(f"{group}: {run} leaves not implemented ({rows[0].leaf.id} … {rows[run - 1].leaf.id})")
                rows = rows[run:]
                continue
            r = rows.pop(0)
            state, detail = r.state
            tests = f"{len(r.tests)} test{'s' * (len(r.tests) != 1)}"
            line = f"{r.leaf.id:<{width}}  {r.leaf.kind:<14}  {state:<16}  {tests:<8}"
            out.append((line + (f"  {detail}" if detail else "")).rstrip())
        return "\n".join(out + ["", *self._footer()]) + "\n"

    def render_markdown(self) -> str:
        """The scorecard as a Markdown table, then the totals."""
        out = ["| Item | The paper | Code | Tests | State |", "|---|---|---|---|---|"]
        mark = {"failed": "❌ ", "off": "❌ ", "verified": "✅ ", "within tolerance": "✅ ",
                "consistent": "✅ "}
        for r in self.rows:
            state, detail = r.state
            cell = f"{mark.get(state, '')}**{state}**" + (f": {_cell(detail)}" if detail else "")
            tests = "<br>".join(f"`{_short(t)}`" for t in r.tests) or "—"
            code = f"`{r.leaf.code}`" if r.leaf.code else "—"
            paper = f"{_cell(r.leaf.text)} ({_cell(r.leaf.where)})"
            out.append(f"| `{r.leaf.id}` | {paper} | {code} | {tests} | {cell} |")
        out += ["", *(f"- {line}" for line in self._footer())]
        return "\n".join(out) + "\n"

    def render_deviations(self) -> str:
        """The deviation log as Markdown: paper -> code -> test -> status, with the reason.

        Lists the leaves with a status, and the criteria changed after seeing data.
        """
        rows = [r for r in self.rows if r.leaf.status or r.leaf.criterion.get("changed")]
        if not rows:
            return "No leaf is marked as a deviation or out of scope.\n"
        out = ["| Item | The paper | Our code | Test | Status |", "|---|---|---|---|---|"]
        for r in rows:
            state, detail = r.state
            code = f"`{r.leaf.code}`" if r.leaf.code else "—"
            tests = "<br>".join(f"`{_short(t)}`" for t in r.tests) or "—"
            why = detail if state in RED or not r.leaf.status else r.leaf.reason
            status = f"**{state}**" + (f": {_cell(why)}" if why else "")
            if r.leaf.criterion.get("changed"):
                status += f"<br>**criterion changed after seeing data**: {_cell(r.leaf.criterion['changed'])}"
            out.append(f"| `{r.leaf.id}` | {_cell(r.leaf.text)} ({_cell(r.leaf.where)}) | {code} | {tests} | {status} |")
        return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    """One Markdown table cell: pipes and brackets escaped (``S[π](s)`` is not a link)."""
    text = str(text).replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")
    return " ".join(text.split())


def _short(nodeid: str) -> str:
    """``tests/x/test_a.py::test_b[1]`` -> ``test_a.py::test_b[1]``."""
    return nodeid.rsplit("/", 1)[-1]
