"""Every notebook of the handbook executes, cell by cell, with no error.

The site shows the notebooks without running them (mkdocs-jupyter with
``execute: false``); this test is what proves them. Notebooks are stored
without outputs, and that too is checked.

The cells run in IPython's own shell (the engine inside a Jupyter kernel),
in this process, in order, with the notebook's folder as the working
directory. A kernel in a separate process would import torch again, which
costs seconds and proves nothing more.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "docs").rglob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
    assert with_outputs == [], f"{path.name}: cells {with_outputs} were saved with outputs"


def run_notebook(path: Path) -> None:
    """Run every code cell in order; raise AssertionError naming the first failing cell."""
    from IPython.core.interactiveshell import InteractiveShell

    nb = nbformat.read(path, as_version=4)
    shell = InteractiveShell()  # a fresh shell: a fresh namespace, like a new kernel
    try:
        for number, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            result = shell.run_cell(cell.source, silent=False)
            if not result.success:
                error = result.error_in_exec or result.error_before_exec
                raise AssertionError(f"{path.name}: cell {number} raised {type(error).__name__}: {error}")
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_without_error(path, monkeypatch):
    monkeypatch.chdir(path.parent)
    run_notebook(path)


def test_a_failing_cell_fails_the_run(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("x / 0")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(AssertionError, match="cell 1 raised ZeroDivisionError"):
        run_notebook(path)
