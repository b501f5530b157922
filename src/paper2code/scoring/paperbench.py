"""PaperBench's ``rubric.json``: import, export, and its weighted score.

PaperBench (Starace et al., 2025, arXiv:2504.01848) grades a replication
with a tree of nodes ``{id, requirements, weight, sub_tasks,
task_category, finegrained_task_category}``; a leaf's ``task_category`` is
``Code Development``, ``Code Execution`` or ``Result Analysis``, our
``implementation``, ``execution`` and ``result``. A leaf scores 0 or 1 and a
parent the weighted mean of its children's scores.

`to_yaml` turns such a tree into a rubric (`paper2code.scoring.rubric`): the root
becomes the one top-level group, requirements become a group's ``title`` or
a leaf's ``text``, and weights and categories are kept, so `to_paperbench`
gives the same tree back. A rubric of our own, with several top-level
items, is exported under a root named after the paper.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from paper2code.scoring.rubric import Group, Leaf, Rubric, RubricError, load_rubric, parse_rubric

__all__ = ["CATEGORIES", "SCORED", "export_rubric", "import_rubric", "run_rubric", "score", "score_lines",
           "to_paperbench", "to_yaml"]

CATEGORIES = {"implementation": "Code Development", "execution": "Code Execution",
              "result": "Result Analysis"}
KIND_OF = {v: k for k, v in CATEGORIES.items()}
# The states that score 1 (a leaf reproduced as the paper says); every other state scores 0,
# "deviation" and "out of scope" included.
SCORED = ("verified", "within tolerance", "consistent")
IMPORTED = "PaperBench rubric"  # the `where` of an imported leaf: PaperBench names no place
_KEYS = {"id", "requirements", "weight", "sub_tasks"}


def _node(node, at: str) -> dict:
    """One PaperBench node as a rubric node (a group or a leaf); `RubricError` if malformed."""
    if not isinstance(node, dict) or not _KEYS <= set(node):
        raise RubricError(f"{at}: not a PaperBench node (needs {', '.join(sorted(_KEYS))})")
    weight = node["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not isinstance(
            node["sub_tasks"], list) or not isinstance(node["requirements"], str):
        raise RubricError(f"{at} ({node['id']}): weight must be a number, sub_tasks a list, "
                          "requirements a string")
    out: dict = {"id": node["id"]}
    fine = node.get("finegrained_task_category")
    if node["sub_tasks"]:
        out["title"] = node["requirements"]
        if node.get("task_category"):
            out["task_category"] = node["task_category"]
    else:
        kind = KIND_OF.get(node.get("task_category"))
        if kind is None:
            raise RubricError(f"{at} ({node['id']}): a leaf's task_category is "
                              f"{node.get('task_category')!r}; expected {', '.join(KIND_OF)}")
        out.update(kind=kind, text=node["requirements"], where=IMPORTED)
    out["weight"] = weight
    if fine:
        out["category"] = fine
    if node["sub_tasks"]:
        out["children"] = [_node(c, f"{at}.sub_tasks[{i}]") for i, c in enumerate(node["sub_tasks"])]
    return out


def to_yaml(data, title: str, source: str = "rubric.json") -> dict:
    """A PaperBench tree as rubric data (validated by `parse_rubric`)."""
    out = {"paper": {"title": title}, "items": [_node(data, "root")]}
    parse_rubric(out, source)  # ids, weights: the checks of any rubric
    return out


def _number(x: float):
    return int(x) if float(x).is_integer() else x


def _export(node: Group | Leaf) -> dict:
    if isinstance(node, Leaf):
        text = node.text if node.where == IMPORTED else f"{node.text} ({node.where})"
        return {"id": node.id, "requirements": text, "weight": _number(node.weight), "sub_tasks": [],
                "task_category": CATEGORIES[node.kind],
                "finegrained_task_category": node.category or None}
    return {"id": node.id, "requirements": node.title, "weight": _number(node.weight),
            "sub_tasks": [_export(c) for c in node.children],
            "task_category": node.task_category or None,
            "finegrained_task_category": node.category or None}


def to_paperbench(rubric: Rubric) -> dict:
    """The rubric as a PaperBench tree; a single top-level group is the root."""
    if len(rubric.tree) == 1 and isinstance(rubric.tree[0], Group):
        return _export(rubric.tree[0])
    slug = re.sub(r"[^a-z0-9]+", "-", rubric.title.lower()).strip("-") or "root"
    root = Group(slug, f"The core contributions of {rubric.title} have been reproduced.",
                 rubric.tree)
    return _export(root)


def _write(text: str, out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise RubricError(f"{out} exists; pass --force to overwrite it")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise RubricError(f"{out}: {err.strerror}") from None


def import_rubric(path: str | Path, out: str | Path, force: bool = False) -> Rubric:
    """``paper2code rubric import``: PaperBench ``rubric.json`` -> ``rubric.yaml``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RubricError(f"{path}: {err.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RubricError(f"{path}: not a JSON file") from None
    title = path.name.removesuffix(".json").removesuffix(".rubric")
    try:
        rubric_data = to_yaml(data, title, str(path))
    except RubricError as err:  # the schema: name the file, as every other error does
        message = str(err)
        raise RubricError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    text = yaml.safe_dump(rubric_data, sort_keys=False, allow_unicode=True, width=100)
    _write(text, Path(out), force)
    return parse_rubric(rubric_data, str(out))


def export_rubric(path: str | Path, out: str | Path, force: bool = False) -> dict:
    """``paper2code rubric export``: ``rubric.yaml`` -> PaperBench ``rubric.json``."""
    data = to_paperbench(load_rubric(path))
    _write(json.dumps(data, indent=2, ensure_ascii=False) + "\n", Path(out), force)
    return data


def run_rubric(action: str, source: str, out: str, force: bool = False) -> int:
    """The ``paper2code rubric import|export`` command: 0, or 2 with one line on stderr."""
    import sys

    try:
        if action == "import":
            rubric = import_rubric(source, out, force)
            what = f"{len(rubric.leaves)} leaves"
        else:
            export_rubric(source, out, force)
            what = f"{len(load_rubric(source).leaves)} leaves"
    except RubricError as err:
        print(f"paper2code rubric: error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({what})")
    return 0


def score(tree: list[Group | Leaf], states: dict[str, str], kind: str | None = None) -> float | None:
    """PaperBench's score: a leaf 1 if its state is in `SCORED`, else 0; a parent the
    weighted mean of its children's. With ``kind``, only that kind's leaves count
    (subtrees without one drop out); None when no leaf counts."""
    def walk(node: Group | Leaf) -> float | None:
        if isinstance(node, Leaf):
            return None if kind and node.kind != kind else float(states[node.id] in SCORED)
        parts = [(c.weight, s) for c in node.children if (s := walk(c)) is not None]
        total = sum(w for w, _ in parts)
        if not parts:
            return None
        return sum(w * s for w, s in parts) / total if total > 0 else 0.0

    return walk(Group("root", "", tree))


def score_lines(card) -> list[str]:
    """The weighted score of a `paper2code.scoring.scorecard.Scorecard`, overall and per category."""
    states = {r.leaf.id: r.state[0] for r in card.rows}
    overall = score(card.rubric.tree, states)
    if overall is None:
        return []
    per = [f"{CATEGORIES[k]} {s:.3f}" for k in CATEGORIES
           if (s := score(card.rubric.tree, states, k)) is not None]
    return [f"PaperBench score: {overall:.3f} — {', '.join(per)} "
            f"({', '.join(SCORED)} = 1, other states 0)"]
