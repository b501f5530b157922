"""Every notebook of the handbook runs, and shows the outputs its code gives.

Notebooks are stored with their outputs, so that a reader sees them on the
site (docs/hooks/notebooks.py renders them) and in Jupyter before running
anything. This test re-executes each notebook and compares, cell by cell,
what the cell gives now with what it is stored with, as nbval does: a stale
or hand-edited output fails, and so does a cell that raises.

What is compared: the text a cell prints (stdout and stderr), and the value
of a bare last expression (``text/plain``, as Jupyter shows ``Out[n]``). A
cell tagged ``nbval-ignore-output`` (nbval's tag) runs, but its output is not
compared: for values that honestly differ between machines, such as the
device found. Other kinds of output (images, HTML) are not compared, and a
notebook stored with one fails, so nothing is shown unchecked.

The cells run in IPython's own shell (the engine inside a Jupyter kernel),
in this process, in order, with the notebook's folder as the working
directory. A kernel in a separate process would import torch again, which
costs seconds and proves nothing more.

To store fresh outputs after editing a notebook:
``uv run python tests/test_notebooks.py docs/notebooks/quickstart.ipynb``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "docs").rglob("*.ipynb"))
IGNORE_OUTPUT = "nbval-ignore-output"
COMPARED = {"stream", "execute_result"}


def execute(nb: nbformat.NotebookNode) -> list[list[dict]]:
    """Run every code cell in order; return each code cell's outputs (nbformat dicts).

    Raises AssertionError naming the first cell that raises.
    """
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell()  # a fresh shell: a fresh namespace, like a new kernel
    # The value of a bare last expression is recorded from the result, not printed.
    shell.displayhook.write_output_prompt = lambda: None
    shell.displayhook.write_format_data = lambda *args, **kwargs: None
    results = []
    try:
        for number, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result = shell.run_cell(cell.source, store_history=False)
            if not result.success:
                error = result.error_in_exec or result.error_before_exec
                raise AssertionError(f"cell {number} raised {type(error).__name__}: {error}")
            outputs = [
                nbformat.v4.new_output("stream", name=name, text=stream.getvalue())
                for name, stream in (("stdout", out), ("stderr", err))
                if stream.getvalue()
            ]
            if result.result is not None:
                text = shell.display_formatter.format(result.result)[0]["text/plain"]
                outputs.append(nbformat.v4.new_output(
                    "execute_result", data={"text/plain": text}, execution_count=len(results) + 1
                ))
            results.append(outputs)
    finally:
        InteractiveShell.clear_instance()
    return results


def _comparable(outputs: list) -> list[tuple[str, str, str]]:
    shown = []
    for o in outputs:
        if o["output_type"] == "stream":
            shown.append(("stream", o["name"], "".join(o["text"])))
        elif o["output_type"] == "execute_result":
            shown.append(("execute_result", "text/plain", "".join(o["data"]["text/plain"])))
        else:
            shown.append((o["output_type"], "", ""))
    return shown


def mismatches(nb: nbformat.NotebookNode, fresh: list[list[dict]]) -> list[str]:
    """Where the stored outputs differ from ``fresh`` (one line per code cell that differs)."""
    problems = []
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for (number, cell), outputs in zip(code_cells, fresh, strict=True):
        stored = _comparable(cell.get("outputs", []))
        unchecked = [kind for kind, _, _ in stored if kind not in COMPARED]
        if unchecked:
            problems.append(f"cell {number}: stored outputs that are not compared: {unchecked}")
        elif IGNORE_OUTPUT in cell.metadata.get("tags", []):
            continue
        elif stored != _comparable(outputs):
            problems.append(f"cell {number}: stored {stored!r}, the code gives {_comparable(outputs)!r}")
    return problems


def store_outputs(path: Path) -> None:
    """Execute ``path`` and write it back with fresh outputs and execution counts."""
    nb = nbformat.read(path, as_version=4)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        fresh = execute(nb)
    finally:
        os.chdir(cwd)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for count, (cell, outputs) in enumerate(zip(code_cells, fresh, strict=True), start=1):
        cell.outputs, cell.execution_count = outputs, count
    nbformat.write(nb, path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_the_outputs_its_code_gives(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{path.name} is stored without outputs: run tests/test_notebooks.py on it"
    )
    monkeypatch.chdir(path.parent)
    assert mismatches(nb, execute(nb)) == []


def _notebook(*cells: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nb


def test_a_failing_cell_fails_the_run():
    with pytest.raises(AssertionError, match="cell 1 raised ZeroDivisionError"):
        execute(_notebook("x = 1", "x / 0"))


def test_a_stale_output_is_caught_and_a_tagged_one_is_not():
    nb = _notebook("print(6 * 7)", "6 * 7")
    fresh = execute(nb)
    assert fresh[0][0]["text"] == "42\n" and fresh[1][0]["data"]["text/plain"] == "42"
    for cell, outputs in zip(nb.cells, fresh, strict=True):
        cell.outputs = copy.deepcopy(outputs)
    assert mismatches(nb, fresh) == []
    nb.cells[0].outputs[0]["text"] = "41\n"  # what a hand edit or an old run leaves
    assert mismatches(nb, fresh) == [
        "cell 0: stored [('stream', 'stdout', '41\\n')], "
        "the code gives [('stream', 'stdout', '42\\n')]"
    ]
    nb.cells[0].metadata["tags"] = [IGNORE_OUTPUT]
    assert mismatches(nb, fresh) == []


def test_an_output_that_is_not_compared_is_refused():
    nb = _notebook("print(1)")
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"image/png": "AAAA"})]
    assert mismatches(nb, execute(nb)) == [
        "cell 0: stored outputs that are not compared: ['display_data']"
    ]


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        store_outputs(Path(arg).resolve())
        print(f"stored outputs in {arg}")
