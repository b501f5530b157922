"""``paper2code exercise``: each solution passes, each stub is 'not implemented', each catalogued bug is named.

Everything runs in this process through ``paper2code.cli.main`` (capsys), on
files written to a temporary folder: the solution as ``solution`` prints it,
the stub as ``start`` writes it, and one file per catalogued bug that binds the
exercise's name to the bug's implementation.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest
import torch

from paper2code.cli import main
from paper2code.exercises import engine, recognise
from paper2code.exercises.catalog import BY_NAME, ENTRIES

NAMES = [e.name for e in ENTRIES]


@pytest.fixture(autouse=True)
def one_thread():
    """As `check` does: tiny tensors, and a verdict that must not depend on the thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def spec_of(name: str) -> engine.Spec:
    module = importlib.import_module(f"paper2code.exercises.{BY_NAME[name].module}")
    return next(s for s in module.SPECS if s.name == name)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["exercise", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_exercise_name_first(capsys):
    code, out, _ = run(capsys, "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(ENTRIES) >= 20
    assert [line.split()[0] for line in lines] == NAMES
    assert all(line.split()[1].endswith(".md") for line in lines)
    assert {spec.name for e in ENTRIES for spec in importlib.import_module(f"paper2code.exercises.{e.module}").SPECS} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_solution_passes_stub_is_not_implemented_bugs_are_named(name, capsys, tmp_path):
    spec = spec_of(name)
    assert len(spec.bugs) >= 3
    code, solution, _ = run(capsys, "solution", name)
    assert code == 0
    (tmp_path / "solution.py").write_text(solution)
    code, out, err = run(capsys, "check", name, str(tmp_path / "solution.py"))
    assert (code, err) == (0, ""), out
    assert out.splitlines()[-1].endswith("checks passed") and out.startswith("passed: ")

    code, out, _ = run(capsys, "start", name, str(tmp_path / "mine.py"))
    assert code == 0 and "wrote" in out
    code, out, _ = run(capsys, "check", name, str(tmp_path / "mine.py"))
    assert code == 1 and "not implemented yet" in out

    symbol = BY_NAME[name].symbol
    for i, bug in enumerate(spec.bugs):
        path = tmp_path / f"bug{i}.py"
        path.write_text(
            f"from paper2code.exercises.catalog import BY_NAME\n"
            f"from paper2code.exercises.{BY_NAME[name].module} import SPECS\n"
            f"{symbol} = next(s for s in SPECS if s.name == {name!r}).bugs[{i}].impl\n"
        )
        code, out, err = run(capsys, "check", name, str(path))
        assert (code, err) == (1, ""), (bug.name, out, err)
        assert f"your output equals a known bug: {bug.name} - see {bug.section}" in out, (bug.name, out)


def _distance(got, want, tol=None) -> float:
    """How many tolerances apart two observations are (inf: shape, NaN or a failed invariant)."""
    if got is None or want is None or len(got) != len(want):
        return float("inf")
    worst = 0.0
    for g, w in zip(got, want, strict=True):
        if g.shape != w.shape or g.dtype != w.dtype:
            return float("inf")
        if not w.is_floating_point():
            worst = max(worst, 0.0 if torch.equal(g, w) else float("inf"))
            continue
        g, w = g.detach().double(), w.detach().double()
        if not torch.equal(torch.isfinite(g), torch.isfinite(w)):
            return float("inf")
        ok = torch.isfinite(w)
        tol = tol or engine.TOLERANCE[torch.float64 if got[0].dtype == torch.float64 else torch.float32]
        scale = (w[ok].abs().max().item() if ok.any() else 0.0) or 1.0
        worst = max(worst, ((g - w).abs()[ok] / (tol * scale + tol * w.abs()[ok])).max().item() if ok.any() else 0.0)
    return worst


@pytest.mark.parametrize("name", NAMES)
def test_every_bug_is_far_from_the_reference(name):
    """Each bug is >= 100 tolerances from ours somewhere: no kernel or thread count decides a verdict."""
    spec = spec_of(name)
    cases = spec.cases()
    tols = {"case " + c.label: c.tol for c in cases}
    reference = recognise._observe(spec, spec.reference, cases, reference=True)
    for bug in spec.bugs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the unbiased-variance bug warns on one feature, as it should
            theirs = recognise._observe(spec, bug.impl, cases)
        assert max(_distance(theirs[k], reference[k], tols.get(k)) for k in reference) >= 100, bug.name


BAD_FILES = {
    "syntax error": ("def scaled_dot_product_attention(q, k, v, mask=None)\n    return q\n", 2, "syntax error"),
    "does not import": ("import no_such_module_here\n", 2, "does not import: ModuleNotFoundError"),
    "no such function": ("def attention(q, k, v, mask=None):\n    return q\n", 2, "defines no 'scaled_dot_product_attention'"),
    "wrong signature": ("def scaled_dot_product_attention(q, k):\n    return q\n", 2, "raised TypeError"),
    "raises": ("def scaled_dot_product_attention(q, k, v, mask=None):\n    raise ValueError('oops')\n", 2,
               "raised ValueError at mine.py:2 (`raise ValueError('oops')`) on the case 'no mask': oops"),
    "wrong shape": ("def scaled_dot_product_attention(q, k, v, mask=None):\n"
                    "    w = (q @ k.transpose(-2, -1)).softmax(-1)\n    return (w @ v).sum(-1), w\n", 1,
                    "FAILED: values on the case 'no mask': output: shape (2, 2, 3), expected (2, 2, 3, 3)"),
    "returns None": ("def scaled_dot_product_attention(q, k, v, mask=None):\n    pass\n", 2, "returned a NoneType"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_get_one_line_and_no_traceback(case, capsys, tmp_path):
    text, want_code, message = BAD_FILES[case]
    path = tmp_path / "mine.py"
    path.write_text(text)
    code, out, err = run(capsys, "check", "attention", str(path))
    assert code == want_code
    shown = err if want_code == 2 else out
    assert message in shown, shown
    assert "Traceback" not in out + err
    if want_code == 2:
        assert out == "" and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (("check", "no_such_exercise", "x.py"), "unknown exercise 'no_such_exercise'"),
        (("start", "no_such_exercise"), "unknown exercise"),
        (("solution",), "name an exercise"),
        (("check", "attention"), "name the file to check"),
        (("check", "attention", "no/such/file.py"), "no/such/file.py: no such file"),
    ],
)
def test_bad_arguments_get_one_line(argv, message, capsys):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and message in err


def test_start_never_overwrites(capsys, tmp_path):
    mine = tmp_path / "attention.py"
    mine.write_text("my work\n")
    code, out, err = run(capsys, "start", "attention", str(tmp_path))  # a folder: writes FOLDER/NAME.py
    assert (code, out) == (2, "") and "exists; not overwritten" in err
    assert mine.read_text() == "my work\n"
    code, _, err = run(capsys, "start", "attention", str(tmp_path / "no" / "dir.py"))
    assert code == 2 and "no such folder" in err


def test_without_torch_check_says_how_to_install_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails as if it were not installed
    code, out, err = run(capsys, "check", "attention", str(tmp_path / "x.py"))
    assert (code, out) == (2, "") and 'pip install "paper2code[torch]"' in err and len(err.splitlines()) == 1


def test_list_start_and_solution_do_not_import_torch(tmp_path):
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from paper2code.cli import main\n"
        "assert main(['exercise', 'list']) == 0\n"
        "assert main(['exercise', 'start', 'gae', sys.argv[1]]) == 0\n"
        "assert main(['exercise', 'solution', 'gae']) == 0\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "gae.py")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "def gae(" in done.stdout and "def gae(" in (tmp_path / "gae.py").read_text()


def test_a_reader_with_two_bugs_is_told_the_one_on_the_failing_case(capsys, tmp_path):
    path = tmp_path / "mine.py"  # softmax over the query axis, and masks ignored
    path.write_text("def scaled_dot_product_attention(q, k, v, mask=None):\n"
                    "    w = (q @ k.transpose(-2, -1) / q.size(-1) ** 0.5).softmax(-2)\n    return w @ v, w\n")
    code, out, _ = run(capsys, "check", "attention", str(path))
    assert code == 1 and "softmax over the query axis" in out


def test_checks_leave_the_global_rng_and_threads_alone(capsys, tmp_path):
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    code, solution, _ = run(capsys, "solution", "multi_head")  # builds modules: nn.Linear draws its init
    (tmp_path / "s.py").write_text(solution)
    assert run(capsys, "check", "multi_head", str(tmp_path / "s.py"))[0] == 0
    assert torch.equal(torch.rand(3), expected) and torch.get_num_threads() == threads


def test_split_by_group_refuses_what_it_cannot_split():
    from paper2code.data import split_by_group

    groups = torch.tensor([0, 0, 1, 2])
    for fraction in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="test_fraction"):
            split_by_group(groups, fraction, seed=0)
    with pytest.raises(ValueError, match="at least 2 groups"):
        split_by_group(torch.zeros(5, dtype=torch.long), 0.5, seed=0)
    train, test = split_by_group(torch.tensor([3, 3, 8]), 0.9, seed=0)  # one group must stay for training
    assert len(train) > 0 and len(test) > 0


def test_each_exercise_has_one_box_on_its_page_with_no_solution_under_it():
    """The box says what the checks are (from the spec: a new case or bug changes the page) and spoils nothing."""
    from pathlib import Path

    from paper2code.exercises.boxes import BOX, rewrite

    docs = Path(__file__).parent.parent / "docs"
    for entry in ENTRIES:
        text = (docs / entry.page).read_text(encoding="utf-8")
        boxes = [m["name"] for line in text.splitlines(keepends=True) if (m := BOX.match(line))]
        assert boxes.count(entry.name) == 1, (entry.name, entry.page)
    for page in {e.page for e in ENTRIES}:
        text = (docs / page).read_text(encoding="utf-8")
        assert rewrite(text) == text, f"{page}: run paper2code.exercises.boxes.rewrite on it"
        assert '??? success "Solution"' not in text
