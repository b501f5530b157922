"""The deviation log: every place the code departs from, or had to guess at, the paper.

A reproduction that differs from the paper is still useful when every
difference is written down where the reader looks for it. One entry per
decision, in a YAML file beside the code (``docs/deviations.yaml``)::

    - id: dev-ls-eps               # unique, referenced from code comments
      rubric: hp-label_smoothing   # optional: the rubric leaf it concerns
      where: Section 5.4           # the paper's location
      paper: "label smoothing of value 0.1"
      kind: ambiguity              # ambiguity | deviation | out-of-scope
      choice: "uniform over all V classes, the true class included"
      why: "the paper does not say; the official code does this"
      sources: [official code, appendix]   # what was consulted
      sensitivity: "0.1 vs 0.0: +0.4 BLEU on dev (2 seeds each)"  # optional
      status: open                 # open | settled

``kind`` says what the entry is: an *ambiguity* (the paper allows several
readings; we picked one), a *deviation* (we knowingly do something else) or
*out-of-scope* (not reproduced). ``sensitivity`` records how much the choice
matters, measured; "not measured" is an honest value, an empty one is not.

[`load_deviations`][paper2code.diagnostics.deviations.load_deviations] checks a log and
[`to_markdown`][paper2code.diagnostics.deviations.to_markdown] renders the table a case
study shows. Differences from the paper: not applicable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

__all__ = ["Deviation", "DeviationLogError", "load_deviations", "to_markdown"]

KINDS = ("ambiguity", "deviation", "out-of-scope")
STATUSES = ("open", "settled")


class DeviationLogError(ValueError):
    """A log that is not valid; the message is one line naming the entry."""


# --8<-- [start:deviation]
@dataclass(frozen=True)
class Deviation:
    """One decision where the code departs from, or guesses at, the paper."""

    id: str
    where: str  # Section 5.4, Table 3, Eq. (2), Appendix B
    paper: str  # what the paper says (quote), or "nothing"
    kind: str  # ambiguity | deviation | out-of-scope
    choice: str  # what the code does
    why: str  # the reason, and what settled it
    sources: list[str] = field(default_factory=list)  # what was consulted
    sensitivity: str = "not measured"  # how much the choice changes a result
    status: str = "open"  # open | settled
    rubric: str | None = None  # the rubric leaf, if any


# --8<-- [end:deviation]


# --8<-- [start:load]
def load_deviations(path: str | Path) -> list[Deviation]:
    """Read and check a YAML deviation log.

    Raises:
        DeviationLogError: not a list of mappings, a missing or unknown field,
            an empty value, a bad ``kind`` or ``status``, or a repeated id.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise DeviationLogError(
            f"{path}: cannot read: {type(err).__name__}"
        ) from None
    if not isinstance(raw, list):
        raise DeviationLogError(f"{path}: expected a list of entries")
    names = {f.name for f in fields(Deviation)}
    required = {"id", "where", "paper", "kind", "choice", "why"}
    out, seen = [], set()
    for i, entry in enumerate(raw, 1):
        label = f"{path}: entry {i}"
        if not isinstance(entry, dict):
            raise DeviationLogError(f"{label}: expected a mapping")
        label = f"{path}: entry {i} ({entry.get('id', 'no id')})"
        if missing := sorted(required - entry.keys()):
            raise DeviationLogError(f"{label}: missing {', '.join(missing)}")
        if unknown := sorted(entry.keys() - names):
            raise DeviationLogError(
                f"{label}: unknown field {', '.join(unknown)}"
            )
        if empty := [k for k in sorted(entry) if entry[k] in ("", None, [])]:
            raise DeviationLogError(f"{label}: empty {', '.join(empty)}")
        if entry["kind"] not in KINDS:
            raise DeviationLogError(
                f"{label}: kind must be one of {', '.join(KINDS)}"
            )
        if entry.get("status", "open") not in STATUSES:
            raise DeviationLogError(f"{label}: status must be open or settled")
        if entry["id"] in seen:
            raise DeviationLogError(f"{label}: id used twice")
        seen.add(entry["id"])
        entry = {
            k: str(v) if isinstance(v, int | float) else v
            for k, v in entry.items()
        }
        out.append(Deviation(**entry))
    return out


# --8<-- [end:load]


# --8<-- [start:markdown]
def to_markdown(deviations: list[Deviation]) -> str:
    """The deviation log as a Markdown table, one row per entry."""

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    rows = [
        "| Id | Where | The paper | Our choice | Why | Sensitivity | Status |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in deviations:
        rows.append(
            f"| `{d.id}` | {cell(d.where)} | {cell(d.paper)} | {cell(d.choice)}"
            f" ({d.kind}) | {cell(d.why)} | {cell(d.sensitivity)}"
            f" | {d.status} |"
        )
    return "\n".join(rows)


# --8<-- [end:markdown]
