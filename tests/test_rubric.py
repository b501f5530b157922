"""paper2code.scoring.rubric and its pytest plugin: validation, leaf states, scorecards."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from paper2code.cli import main
from paper2code.scoring.rubric import Leaf, RubricError, load_rubric, parse_rubric
from paper2code.scoring.scorecard import Scorecard, leaf_state

RUBRIC = """\
paper: {title: A Tiny Paper, arxiv: "0000.00000"}
items:
  - id: method
    title: Method
    children:
      - {id: eq-1, kind: implementation, text: "y = 2 x", where: "Eq. (1)"}
      - {id: eq-2, kind: implementation, text: "z = y + 1", where: "Eq. (2)"}
      - {id: eq-3, kind: implementation, text: "w = z^2", where: "Eq. (3)",
         status: deviation, reason: "we square in float64"}
  - {id: exec-train, kind: execution, text: "training runs", where: "Section 4"}
  - {id: tab-1-acc, kind: result, text: "accuracy 0.90", where: "Table 1, row ours",
     value: 0.9, tolerance: {abs: 0.02}}
  - {id: tab-1-big, kind: result, text: "big model", where: "Table 1, row big",
     value: 10, tolerance: {rel: 0.1}, status: out-of-scope, reason: "needs 8 GPUs"}
"""

TESTS = """\
import pytest

@pytest.mark.paper("eq-1")
def test_eq1():
    assert 2 * 3 == 6

@pytest.mark.paper("eq-3", "exec-train")
def test_eq3_and_training():
    assert True

@pytest.mark.paper("eq-2")
@pytest.mark.skip(reason="not implemented: Equation (2)")
def test_eq2():
    raise AssertionError

@pytest.mark.paper("tab-1-acc")
def test_accuracy(paper_result):
    paper_result("tab-1-acc", OURS)
"""


# Each in-process run would end with pytest's garbage collection for unraisable
# exceptions: ~1 s in this suite's large heap, and nothing these runs need.
QUICK = ("-p", "no:unraisableexception")


@pytest.fixture(autouse=True)
def _forget_the_test_files():
    """Each in-process run imports its own test_paper.py, as a new process would."""
    yield
    for name in ("test_paper", "tests.test_paper"):
        sys.modules.pop(name, None)


def run_project(tmp_path: Path, tests: str, rubric: str = RUBRIC, *args: str,
                ini: str = "[pytest]\npaper_rubric = rubric.yaml\n") -> tuple[int, Path]:
    (tmp_path / "rubric.yaml").write_text(rubric)
    (tmp_path / "test_paper.py").write_text(tests)
    (tmp_path / "pytest.ini").write_text(ini)
    out = tmp_path / "scorecard.json"
    sys.modules.pop("test_paper", None)  # each run imports its own test file
    code = pytest.main([str(tmp_path / "test_paper.py"), "-q", "-p", "no:cacheprovider", *QUICK,
                        "-p", "no:randomly", "--import-mode=importlib", "--rootdir", str(tmp_path),
                        "-c", str(tmp_path / "pytest.ini"), "--paper-scorecard", str(out), *args])
    return code, out


def states(out: Path) -> dict[str, str]:
    card = Scorecard.from_dict(json.loads(out.read_text()))
    return {r.leaf.id: r.state[0] for r in card.rows}


def test_every_state_from_a_run(tmp_path):
    code, out = run_project(tmp_path, TESTS.replace("OURS", "0.91"))
    assert code == 0
    assert states(out) == {
        "eq-1": "verified", "eq-2": "not implemented", "eq-3": "deviation",
        "exec-train": "verified", "tab-1-acc": "within tolerance", "tab-1-big": "out of scope",
    }


def test_a_result_off_its_tolerance_fails_the_test_and_shows_by_how_much(tmp_path):
    code, out = run_project(tmp_path, TESTS.replace("OURS", "0.85"))
    assert code == 1
    card = Scorecard.from_dict(json.loads(out.read_text()))
    row = next(r for r in card.rows if r.leaf.id == "tab-1-acc")
    assert row.state == ("failed", "1 of 1 linked tests failed; ours 0.85 vs paper 0.9: "
                         "off by -0.05 (-5.6%), tolerance ±0.02 (absolute)") and row.ours == 0.85
    assert card.red == ["tab-1-acc"]
    assert "off by -0.05 (-5.6%), tolerance ±0.02 (absolute)" == row.leaf.compare(0.85)[1]


def test_a_known_difference_is_recorded_as_off_without_failing_the_test(tmp_path):
    tests = TESTS.replace('paper_result("tab-1-acc", OURS)', 'paper_result("tab-1-acc", 0.85, must_match=False)')
    code, out = run_project(tmp_path, tests)
    assert code == 0
    card = Scorecard.from_dict(json.loads(out.read_text()))
    row = next(r for r in card.rows if r.leaf.id == "tab-1-acc")
    assert row.state[0] == "off" and "off by -0.05" in row.state[1] and row.ours == 0.85


def test_a_broken_equation_turns_its_leaf_red(tmp_path):
    code, out = run_project(tmp_path, TESTS.replace("2 * 3 == 6", "2 * 3 == 7").replace("OURS", "0.9"))
    assert code == 1 and states(out)["eq-1"] == "failed"


def test_a_marker_naming_a_pruned_leaf_warns_in_one_line_and_the_test_runs(tmp_path, capsys):
    code, out = run_project(tmp_path, TESTS.replace('"eq-1"', '"eq-9"').replace("OURS", "0.9"))
    assert code == 0 and out.exists()
    warnings = [ln for ln in capsys.readouterr().out.splitlines() if "eq-9" in ln]
    assert warnings == ["paper2code: warning: test_paper.py::test_eq1: @pytest.mark.paper names "
                        "'eq-9', which is not a leaf of rubric.yaml (pruned?); the test ran, the "
                        "link is ignored"]
    assert states(out)["eq-1"] == "not implemented"


@pytest.mark.parametrize("edit, message", [
    (("id: eq-2", "id: eq-1"), "duplicate id 'eq-1'"),
    (("kind: execution", "kind: training"), "unknown kind 'training'"),
    ((', where: "Section 4"', ""), "(exec-train): missing field 'where'"),
    (("reason: \"needs 8 GPUs\"", "x: 1"), "status out-of-scope needs a reason"),
    (("tolerance: {abs: 0.02}", "tolerance: {abs: -1}"), "tolerance: must not be negative"),
    (("value: 0.9, tolerance: {abs: 0.02}", "tolerance: {abs: 0.02}"), "a tolerance needs the paper's value"),
    (("tolerance: {abs: 0.02}", "tolerance: {abs: 0.02}, weight: -1"), "weight: must not be negative"),
])
def test_bad_rubrics_give_one_clear_error(tmp_path, edit, message):
    path = tmp_path / "rubric.yaml"
    path.write_text(RUBRIC.replace(*edit))
    with pytest.raises(RubricError, match=r".*") as err:
        load_rubric(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_leaf_states_cover_not_run_and_implemented():
    leaf = Leaf("eq-1", "implementation", "y", "Eq. (1)")
    assert leaf_state(leaf, {}, None)[0] == "not implemented"
    assert leaf_state(leaf, {"t": "skipped"}, None)[0] == "implemented"
    result = Leaf("r", "result", "0.9", "T1", value=0.9, tolerance={"abs": 0.1})
    assert leaf_state(result, {"t": "passed"}, None) == ("not run", "no value recorded by the tests")
    assert leaf_state(result, {"t": "passed"}, 0.5)[0] == "off"


def test_renders_text_and_markdown_with_totals(tmp_path):
    _, out = run_project(tmp_path, TESTS.replace("OURS", "0.91"))
    card = Scorecard.from_dict(json.loads(out.read_text()))
    text = card.render_text()
    assert "eq-2        implementation  not implemented   0 tests" in text  # a stub is no test
    assert "implementation: 3 leaves — 1 verified, 1 deviation, 1 not implemented" in text
    md = card.render_markdown()
    assert "| `eq-1` | y = 2 x (Eq. (1)) | — | `test_paper.py::test_eq1` | ✅ **verified** |" in md
    log = card.render_deviations()
    assert "**deviation**: we square in float64" in log and "**out of scope**: needs 8 GPUs" in log


def test_report_prints_the_scorecard(tmp_path, monkeypatch, capsys):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_paper.py").write_text(TESTS.replace("OURS", "0.9"))
    (tmp_path / "rubric.yaml").write_text(RUBRIC)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\naddopts = --import-mode=importlib -p no:unraisableexception\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "tests.test_paper", raising=False)
    assert main(["report", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| Item |") and "- result: 2 leaves — 1 within tolerance, 1 out of scope" in out


@pytest.mark.parametrize("rubric, tests, message", [
    (RUBRIC.replace("id: eq-2", "id: eq-1"), TESTS, "duplicate id 'eq-1'"),
    (RUBRIC.replace("kind: execution", "kind: run"), TESTS, "unknown kind 'run'"),
    (None, TESTS, "no rubric"),
])
def test_report_refuses_bad_input_with_one_line(tmp_path, monkeypatch, capsys, rubric, tests, message):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_paper.py").write_text(tests.replace("OURS", "0.9"))
    if rubric is not None:
        (tmp_path / "rubric.yaml").write_text(rubric)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\naddopts = --import-mode=importlib -p no:unraisableexception\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "tests.test_paper", raising=False)
    assert main(["report"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert captured.out == "" and len(err) == 1 and err[0].startswith("paper2code report: error:")
    assert message in err[0]


def test_parse_needs_the_paper_title():
    with pytest.raises(RubricError, match="missing field 'paper: title'"):
        parse_rubric({"paper": {}, "items": []})


def test_recordings_are_compared_with_the_run(tmp_path):
    (tmp_path / "rec").mkdir()
    ini = "[pytest]\npaper_rubric = rubric.yaml\npaper_recordings = rec\n"
    tests = TESTS.replace("OURS", "0.9")
    code, _ = run_project(tmp_path, tests, RUBRIC, "--paper-record", ini=ini)
    assert code == 0 and (tmp_path / "rec" / "rubric.json").exists()
    # the same run again agrees with its recording
    assert run_project(tmp_path, tests, ini=ini)[0] == 0
    # a test that no longer links eq-1 changes the scorecard: the run fails
    unlinked = tests.replace('@pytest.mark.paper("eq-1")\n', "")
    assert run_project(tmp_path, unlinked, ini=ini)[0] == 1
    # a recorded test skipped in this run (an integration test without --integration)
    # did not run: its leaf is not compared, and the run passes
    skipped = tests.replace('@pytest.mark.paper("eq-1")\n', '@pytest.mark.paper("eq-1")\n@pytest.mark.skip(reason="x")\n')
    assert run_project(tmp_path, skipped, ini=ini)[0] == 0


def test_an_out_of_scope_result_needs_no_tolerance():
    data = {"paper": {"title": "T"}, "items": [
        {"id": "tab-1-fid", "kind": "result", "text": "FID 3.17", "where": "Table 1", "value": 3.17,
         "status": "out-of-scope", "reason": "needs TPUs"},
    ]}
    assert parse_rubric(data).leaf("tab-1-fid").value == 3.17
