"""Pre-registered criteria on result leaves: validation, the fixture's verdicts, the scorecard rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from paper2code.scoring.rubric import Leaf, RubricError, parse_rubric
from paper2code.scoring.scorecard import Scorecard, leaf_state

RUBRIC = """\
paper: {title: Criteria, arxiv: ""}
items:
  - {id: res-acc, kind: result, text: "accuracy 0.90", where: "Table 1", value: 0.9,
     criterion: {test: paper, margin: 0.05, seeds: [0, 1, 2, 3, 4], metric: "test accuracy"}}
  - {id: res-clip, kind: result, text: "clipping beats no clipping", where: "Table 1",
     criterion: {test: paired, arms: [clip, no clip], expect: higher, seeds: [0, 1, 2, 3, 4],
                 changed: "seeds 3 and 4 added after the pilot"}}
  - {id: res-same, kind: result, text: "both variances give similar results", where: "Sec. 4",
     criterion: {test: equivalence, margin: 0.05}}
  - {id: res-count, kind: result, text: "6 layers", where: "Table 3", value: 6}
"""
ACC = [0.90, 0.91, 0.89, 0.92, 0.88]
CLIP, NOCLIP = [0.82, 0.80, 0.85, 0.79, 0.84], [0.70, 0.71, 0.69, 0.75, 0.72]
TESTS = f"""\
import pytest

@pytest.mark.paper("res-acc")
def test_acc(paper_result):
    paper_result("res-acc", ACC)

def test_clip(paper_result):
    paper_result("res-clip", {CLIP}, baseline={NOCLIP})

def test_same(paper_result):
    paper_result("res-same", [0.50, 0.51, 0.49, 0.50, 0.52], baseline=[0.50, 0.50, 0.50, 0.51, 0.51])

def test_count(paper_result):
    paper_result("res-count", 6)
"""
QUICK = ("-p", "no:unraisableexception", "-p", "no:randomly", "-p", "no:cacheprovider",
         "--import-mode=importlib")


@pytest.fixture(autouse=True)
def _forget_the_test_files():
    yield
    sys.modules.pop("test_crit", None)


def run(tmp_path: Path, tests: str, *args: str, rubric: str = RUBRIC) -> tuple[int, Scorecard]:
    (tmp_path / "rubric.yaml").write_text(rubric)
    (tmp_path / "test_crit.py").write_text(tests)
    (tmp_path / "pytest.ini").write_text("[pytest]\npaper_rubric = rubric.yaml\n")
    out = tmp_path / "card.json"
    sys.modules.pop("test_crit", None)
    code = pytest.main([str(tmp_path / "test_crit.py"), "-q", *QUICK, "--rootdir", str(tmp_path),
                        "-c", str(tmp_path / "pytest.ini"), "--paper-scorecard", str(out), *args])
    return code, Scorecard.from_dict(json.loads(out.read_text())) if out.exists() else None


def rows(card: Scorecard) -> dict[str, tuple[str, str]]:
    return {r.leaf.id: r.state for r in card.rows}


def test_each_criterion_gives_its_verdict_and_the_row_shows_n_interval_criterion(tmp_path):
    code, card = run(tmp_path, TESTS.replace("ACC", str(ACC)))
    assert code == 0
    state = rows(card)
    assert state["res-acc"] == (
        "consistent", "consistent: the paper's − ours = +0.0000 [-0.0369, 0.0369] (90% interval, TOST on one "
        "more run) lies inside ±0.05; t p = 0.022 [our runs vs the paper's value, test accuracy, "
        "seeds [0, 1, 2, 3, 4]]")
    assert state["res-clip"][0] == "consistent"
    assert state["res-clip"][1].startswith("higher: a − b = +0.1060 [0.05") and "lies above 0" in state["res-clip"][1]
    assert "sign-flip p = 0.0625" in state["res-clip"][1]  # beside the t interval, with its warning
    assert "clip vs no clip, expect higher" in state["res-clip"][1]
    assert state["res-same"][0] == "consistent" and "equivalent: a − b = " in state["res-same"][1]
    assert state["res-count"] == ("needs a tolerance", "ours 6 vs paper 6; no tolerance stated")
    text = card.render_text()
    assert "res-count" in text.splitlines()[-1] and "without a tolerance or criterion" in text


def test_a_paper_value_that_is_a_mean_of_k_runs_is_judged_as_one(tmp_path):
    """paper_runs: k narrows the yardstick from sqrt(1 + 1/n) to sqrt(1/k + 1/n): a paper value
    0.035 from our mean is inside the one-run interval (half-width 0.048) and outside the
    five-run one (0.028)."""
    near = [0.935, 0.945, 0.925, 0.955, 0.915]  # mean 0.935, spread as ACC's
    loose = RUBRIC  # margin 0.05: not shown within it either way
    code, card = run(tmp_path, TESTS.replace("ACC", f"{near}, must_match=False"), rubric=loose)
    assert code == 0 and rows(card)["res-acc"][0] == "cannot tell"
    five = loose.replace("margin: 0.05, seeds", "margin: 0.05, paper_runs: 5, seeds")
    code, card = run(tmp_path, TESTS.replace("ACC", f"{near}, must_match=False"), rubric=five)
    assert code == 0 and rows(card)["res-acc"][0] == "off"
    assert "prediction interval of a mean of 5 runs" in rows(card)["res-acc"][1]
    assert "our runs vs the paper's value (a mean of 5 runs)" in rows(card)["res-acc"][1]
    assert "TOST on a mean of 5 more runs" in rows(card)["res-acc"][1]


def test_a_verdict_other_than_the_expected_one_fails_the_test_unless_must_match_is_false(tmp_path):
    far = [0.80, 0.81, 0.79, 0.82, 0.78]
    code, card = run(tmp_path, TESTS.replace("ACC", str(far)))
    assert code == 1
    assert rows(card)["res-acc"][0] == "failed"
    assert "differs: the paper's − ours = +0.1000 [0.0631, 0.1369]" in rows(card)["res-acc"][1]
    code, card = run(tmp_path, TESTS.replace("ACC", f"{far}, must_match=False"))
    assert code == 0 and rows(card)["res-acc"][0] == "off"
    # the paired arm the other way round: lower, against the claim
    swapped = TESTS.replace("ACC", str(ACC)).replace(f"{CLIP}, baseline={NOCLIP}",
                                                       f"{NOCLIP}, baseline={CLIP}")
    code, card = run(tmp_path, swapped)
    assert code == 1 and "; lower: a − b = -0.1060 [" in rows(card)["res-clip"][1]


def test_the_runs_must_fit_the_criterion(tmp_path, capsys):
    tests = TESTS.replace("ACC", "[0.9, 0.91, 0.89]")  # 3 values, 5 pre-registered seeds
    tests += '\ndef test_float(paper_result):\n    paper_result("res-acc", 0.9)\n'
    tests += '\ndef test_no_base(paper_result):\n    paper_result("res-clip", [1.0, 2.0, 3.0, 4.0, 5.0])\n'
    code, _ = run(tmp_path, tests, "-rf")
    out = capsys.readouterr().out
    assert code == 1
    assert "res-acc: 3 values, but the criterion lists 5 seeds [0, 1, 2, 3, 4]" in out
    assert "res-acc: its criterion (paper) judges per-seed values: pass a list" in out
    assert "res-clip: a paired criterion compares two arms (baseline=...)" in out


def test_values_by_seed_are_paired_by_seed_and_must_be_the_registered_seeds(tmp_path, capsys):
    # the same runs as CLIP/NOCLIP, given by seed in another order: the same verdict
    clip = {4: CLIP[4], 0: CLIP[0], 2: CLIP[2], 1: CLIP[1], 3: CLIP[3]}
    noclip = {str(seed): value for seed, value in enumerate(NOCLIP)}
    tests = TESTS.replace("ACC", str(ACC)).replace(f"{CLIP}, baseline={NOCLIP}", f"{clip}, baseline={noclip}")
    _, as_lists = run(tmp_path, TESTS.replace("ACC", str(ACC)))
    code, card = run(tmp_path, tests)
    assert code == 0 and rows(card)["res-clip"] == rows(as_lists)["res-clip"]
    # the control: other pairs (the dict's order, not the seed) give another interval
    shuffled = {seed: NOCLIP[(seed + 1) % 5] for seed in range(5)}
    code, card = run(tmp_path, TESTS.replace("ACC", str(ACC)).replace(
        f"{CLIP}, baseline={NOCLIP}", f"{clip}, baseline={shuffled}"))
    assert rows(card)["res-clip"] != rows(as_lists)["res-clip"]
    wrong = {0: 0.9, 1: 0.91, 2: 0.89, 3: 0.92, 7: 0.88}  # seed 7 is not registered
    code, _ = run(tmp_path, TESTS.replace("ACC", str(wrong)), "-rf")
    out = capsys.readouterr().out
    assert code == 1 and "res-acc: values for seeds [0, 1, 2, 3, 7], but the criterion registered [0, 1, 2, 3, 4]" in out
    code, _ = run(tmp_path, TESTS.replace("ACC", str(ACC)).replace(
        f"{CLIP}, baseline={NOCLIP}", f"{clip}, baseline={{'a': 1}}"), "-rf")
    out = capsys.readouterr().out
    assert code == 1 and "res-clip: the baseline by seed needs integer seeds as keys" in out
    for bad, message in (({1.9: 0.9}, "by seed needs integer seeds as keys, got 1.9"),
                         ({True: 0.9}, "by seed needs integer seeds as keys, got True"),
                         ({"01": 0.9}, "by seed needs integer seeds as keys, got '01'"),
                         ({"--1": 0.9}, "by seed needs integer seeds as keys, got '--1'"),
                         ({0: 0.9, "0": 0.91}, "give seed 0 twice")):
        code, _ = run(tmp_path, TESTS.replace("ACC", str(bad)), "-rf")
        out = capsys.readouterr().out
        assert code == 1 and f"res-acc: values {message}" in out, bad
    code, _ = run(tmp_path, TESTS.replace("ACC", str(ACC)).replace(
        f"{CLIP}, baseline={NOCLIP}", f"{clip}, baseline={NOCLIP}"), "-rf")
    out = capsys.readouterr().out
    assert code == 1 and "res-clip: pass the values and the baseline both by seed" in out


def test_a_changed_criterion_is_in_the_deviation_log(tmp_path):
    _, card = run(tmp_path, TESTS.replace("ACC", str(ACC)))
    log = card.render_deviations()
    assert "`res-clip`" in log and "**criterion changed after seeing data**: seeds 3 and 4 added" in log


BASE = {"id": "r", "kind": "result", "text": "t", "where": "w", "value": 1.0}


@pytest.mark.parametrize("criterion, message", [
    ({"test": "t-test"}, "criterion.test: 't-test'; expected one of paper, paired, equivalence"),
    ({"test": "equivalence"}, "an equivalence test needs a margin"),
    ({"test": "paper"}, "a paper test needs a margin"),
    ({"test": "paired"}, "a paired test expects higher or lower"),
    ({"test": "paper", "margin": 1, "expect": "higher"}, "only a paired test has an expected direction"),
    ({"test": "paper", "margin": 1, "seeds": [0]}, "expected a list of at least 2 integer seeds"),
    ({"test": "paper", "margin": 1, "seeds": [0, 0]}, "a seed is listed twice"),
    ({"test": "paper", "margin": 1, "arms": "clip"}, "expected one or two names"),
    ({"test": "paper", "confidance": 0.9}, "unknown key 'confidance'"),
    ({"test": "paper", "confidence": 95}, "confidence: 95 is not in (0.5, 1)"),
    ({"test": "paper", "margin": 0}, "margin: must be positive"),
    ({"test": "paper", "margin": 1, "paper_runs": 0}, "paper_runs: expected how many runs"),
    ({"test": "paper", "margin": 1, "paper_runs": 2.5}, "paper_runs: expected how many runs"),
    ({"test": "paired", "expect": "higher", "paper_runs": 3}, "paper_runs: only a paper test"),
])
def test_bad_criteria_give_one_clear_error(criterion, message):
    with pytest.raises(RubricError) as err:
        parse_rubric({"paper": {"title": "T"}, "items": [{**BASE, "criterion": criterion}]})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_criterion_belongs_to_a_result_and_test_paper_needs_the_value():
    leaf = {**BASE, "kind": "implementation", "criterion": {"test": "paper"}}
    with pytest.raises(RubricError, match="only a result leaf has a criterion"):
        parse_rubric({"paper": {"title": "T"}, "items": [leaf]})
    leaf = {**BASE, "criterion": {"test": "paper", "margin": 1}}
    del leaf["value"]
    with pytest.raises(RubricError, match="test paper compares with the paper's value"):
        parse_rubric({"paper": {"title": "T"}, "items": [leaf]})


def test_weight_category_spread_are_kept():
    rubric = parse_rubric({"paper": {"title": "T"}, "items": [
        {"id": "g", "title": "G", "weight": 3, "children": [
            {**BASE, "weight": 2, "category": "Method Implementation", "spread": 0.03}]}]})
    leaf = rubric.leaf("r")
    assert (leaf.weight, leaf.category, leaf.spread, rubric.tree[0].weight) == (2.0, "Method Implementation", 0.03, 3.0)
    assert leaf.needs_tolerance


def test_states_stubs_deviations_and_a_failed_result_with_its_numbers():
    dev = Leaf("eq-3", "implementation", "w", "Eq. 3", status="deviation", reason="float64")
    assert leaf_state(dev, {"stub": "not implemented"}, None)[0] == "not implemented"
    assert leaf_state(dev, {"t": "passed", "stub": "not implemented"}, None)[0] == "deviation"
    assert leaf_state(dev, {"t": "not run"}, None) == ("not run", "linked tests deselected")
    rel = Leaf("r", "result", "0.9", "T1", value=0.9, tolerance={"rel": 0.01}, spread=0.02)
    assert leaf_state(rel, {"t": "failed"}, 0.85) == (
        "failed", "1 of 1 linked tests failed; ours 0.85 vs paper 0.9 ± 0.02: off by -0.05 (-5.6%), "
        "tolerance ±1% (relative, ±0.009)")


def test_a_deselected_test_leaves_its_leaf_not_run(tmp_path):
    code, card = run(tmp_path, TESTS.replace("ACC", str(ACC)), "-k", "not test_acc")
    assert code == 0 and rows(card)["res-acc"] == ("not run", "linked tests deselected")
    assert [r.tests for r in card.rows if r.leaf.id == "res-acc"] == [["test_crit.py::test_acc"]]


def test_report_without_pytest_says_so_in_one_line(monkeypatch, capsys):
    from paper2code.cli import main

    monkeypatch.setitem(sys.modules, "pytest", None)  # as in an environment without it
    assert main(["report"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "pytest is not installed" in captured.err and "uv run paper2code report" in captured.err


def test_the_markdown_row_names_the_code_and_counts_no_stub():
    leaf = Leaf("eq-1", "implementation", "y = 2x", "Eq. (1)", code="pkg.mod.fn")
    card = Scorecard(parse_rubric({"paper": {"title": "T"}, "items": []}), [])
    from paper2code.scoring.scorecard import Row

    card.rows = [Row(leaf, {"tests/t.py::test_a": "passed", "tests/t.py::stub": "not implemented"})]
    md = card.render_markdown()
    assert "| `eq-1` | y = 2x (Eq. (1)) | `pkg.mod.fn` | `t.py::test_a` | ✅ **verified** |" in md
