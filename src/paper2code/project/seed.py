"""``paper2code new NAME --from ANALYSIS_DIR`` (or ``--from rubric.yaml``): seed a project with what the paper says.

From the ``rubric.yaml`` that `paper2code analyze` wrote (and that you may
have edited), the new project gets:

* ``rubric.yaml``, the same file: the project's scorecard grades it;
* ``docs/ALGORITHMS.md``: each numbered equation and algorithm with where the
  paper states it, and a line for the code and the test that implement it;
* ``configs/paper.yaml``: the paper's hyperparameters, each with its source;
* ``tests/test_paper.py``: one stub per leaf, linked with
  ``@pytest.mark.paper`` and skipped as "not implemented", so it never passes
  before it is written; ``paper2code report`` then shows 0 verified.

Only the rubric is read, so a hand-edited rubric (a leaf added, one marked
out of scope) flows into the project. Leaves marked out of scope get no stub.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from paper2code.project.origin import Source
from paper2code.scoring.rubric import Leaf, Rubric, RubricError, load_rubric

__all__ = ["SeedError", "seed_files"]


class SeedError(Exception):
    """An analysis folder that cannot seed a project; one line for the user."""


def _function(leaf_id: str) -> str:
    return "test_" + re.sub(r"\W", "_", leaf_id.replace("-", "_"))


def _algorithms_md(name: str, rubric: Rubric, steps: dict[str, list[str]], url: str) -> str:
    out = [f"# Algorithms of {name}", "", f"Paper: {rubric.title} ({url})", "",
           "Each numbered equation and algorithm of the paper, as `paper2code analyze`",
           "read it, with where it lives in the code and the test that checks it.",
           "Fill in the code line as you implement; keep this file in step with the",
           "docstrings. The starter model in `src/` is the scaffold's, not the paper's.", ""]
    for leaf in rubric.leaves:
        if not leaf.id.startswith(("eq-", "alg-")):
            continue
        number = re.match(r"Eq\.\s*(\(\S+\))", leaf.where)
        title = leaf.text if leaf.id.startswith("alg-") else (
            f"Equation {number.group(1)}" if number else f"Equation `{leaf.id}`")
        out += [f"## {title}", ""]
        if leaf.id.startswith("eq-"):
            out += ["```text", leaf.text, "```", ""]
        elif steps.get(leaf.id):
            out += ["```text", *steps[leaf.id], "```", ""]
        out += [f"- Where in the paper: {leaf.where}",
                f"- Rubric leaf: `{leaf.id}`" + (f" ({leaf.status}: {leaf.reason})" if leaf.status else ""),
                "- Code: not implemented yet",
                f"- Test: `tests/test_paper.py::{_function(leaf.id)}` (a stub, skipped)", ""]
    hps = [leaf for leaf in rubric.leaves if leaf.id.startswith("hp-")]
    if hps:
        out += ["## Hyperparameters", "", "| Parameter | Paper | `configs/paper.yaml` key | Where |",
                "|---|---|---|---|"]
        for leaf in hps:
            text = leaf.text.replace("|", "\\|")
            out.append(f"| {text} | {leaf.value if leaf.value is not None else '?'} | "
                       f"`{leaf.id[3:]}` | {leaf.where} |")
    return "\n".join(out) + "\n"


def _yaml_number(value: float) -> str:
    """A number PyYAML reads back as one: ``1e-09`` is a string to YAML 1.1.

    Examples:
        >>> [_yaml_number(v) for v in (4000.0, 0.9, 1e-09, 3e-4)]
        ['4000', '0.9', '1.0e-09', '0.0003']
    """
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if exponent and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def _paper_config(rubric: Rubric, sources: dict[str, str]) -> str:
    out = ["# The paper's hyperparameters, as `paper2code analyze` found them.",
           "# Check each against the paper before you use it; the comment says where it is.",
           "# A value the extraction could not read as a number is kept as the paper's text."]
    hps = [leaf for leaf in rubric.leaves if leaf.id.startswith("hp-")]
    out.append("paper:" if hps else "paper: {}")
    for leaf in hps:
        value = _yaml_number(leaf.value) if leaf.value is not None else json.dumps(
            leaf.text, ensure_ascii=False)
        source = " ".join(sources.get(leaf.id, "").split())[:120]
        out.append(f"  {leaf.id[3:]}: {value}  # {leaf.text} — {leaf.where}")
        if source:
            out.append(f"  #   \"{source}\"")
    return "\n".join(out) + "\n"


def _stub(leaf: Leaf) -> str:
    text = " ".join(leaf.text.split()).replace("\\", "/").replace('"""', "'''")
    where = leaf.where.replace('"', "'")
    return (
        f'@pytest.mark.paper("{leaf.id}")\n'
        f'@pytest.mark.skip(reason="not implemented: {where}")\n'
        f"def {_function(leaf.id)}():\n"
        f'    """{leaf.kind}: {text}"""\n'
        f"    raise NotImplementedError\n"
    )


def _stubs(rubric: Rubric) -> str:
    head = (
        '"""Test stubs for every item of the paper, one per leaf of rubric.yaml.\n\n'
        "Each is skipped as not implemented until you write it: remove the skip\n"
        "marker, write a check that can fail, keep the paper marker. Result leaves\n"
        'use the paper_result fixture: paper_result("tab-2-base-bleu", ours).\n"""\n\n'
        "import pytest\n"
    )
    stubs = [_stub(leaf) for leaf in rubric.leaves if leaf.status != "out-of-scope"]
    return head + "".join("\n\n" + s for s in stubs)


def seed_files(name: str, analysis_dir: str | Path, paper_url: str = "") -> dict[Path, str]:
    """The files ``--from ANALYSIS_DIR`` adds to (or replaces in) the project ``name``.

    ``analysis_dir`` is a folder written by ``paper2code analyze`` or a rubric
    file itself (``rubric.yaml`` from ``paper2code rubric import``).

    Raises:
        SeedError: no such folder or file, no ``rubric.yaml`` in the folder, or
            a rubric that does not validate (the message names the file).
    """
    folder = Path(analysis_dir)
    if folder.is_file() and folder.suffix.lower() in (".yaml", ".yml"):
        path = folder  # a rubric file: `paper2code rubric import`'s, or one written by hand
    elif not folder.is_dir():
        raise SeedError(f"{folder}: no such analysis folder or rubric file (run `paper2code analyze` first)")
    else:
        path = folder / "rubric.yaml"
    if not path.is_file():
        raise SeedError(f"{path}: not found (run `paper2code analyze` with a recent paper2code)")
    try:
        rubric = load_rubric(path)
    except RubricError as err:
        raise SeedError(str(err)) from None
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps: dict[str, list[str]] = {}
    sources: dict[str, str] = {}

    def walk(nodes: list) -> None:
        for node in nodes:
            walk(node.get("children", []))
            if node.get("steps"):
                steps[node["id"]] = [str(s) for s in node["steps"]]
            if node.get("source"):
                sources[node["id"]] = str(node["source"])

    walk(raw.get("items") or [])
    url = paper_url or (f"https://arxiv.org/abs/{rubric.arxiv}" if rubric.arxiv else "")
    return {
        Path("rubric.yaml"): path.read_text(encoding="utf-8"),
        Path("docs/ALGORITHMS.md"): _algorithms_md(name, rubric, steps, url or "link to be added"),
        Path("configs/paper.yaml"): _paper_config(rubric, sources),
        Path("tests/test_paper.py"): _stubs(rubric),
    }


def pyproject_with_plugin(text: str, source: Source) -> str:
    """The generated pyproject.toml, with paper2code's plugin and the rubric wired in.

    ``source`` says where the project installs paper2code from (`paper2code.project.origin`).
    """
    text = text.replace('dev = ["pytest>=8.3",', f'dev = [{json.dumps(source.requirement)}, "pytest>=8.3",', 1)
    text = text.replace(
        '[tool.pytest.ini_options]\n',
        '[tool.pytest.ini_options]\n# paper2code\'s pytest plugin grades this rubric: '
        '`uv run paper2code report`\npaper_rubric = "rubric.yaml"\n', 1,
    )
    if not source.source:
        return text
    return text + (
        "\n[tool.uv.sources]\n"
        "# paper2code ships the pytest plugin and `paper2code report`\n"
        f"paper2code = {source.source}\n"
    )
