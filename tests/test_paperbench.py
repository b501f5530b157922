"""PaperBench rubric.json: import, export, round trips, the weighted score, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paper2code.cli import main
from paper2code.scoring.paperbench import score, to_paperbench, to_yaml
from paper2code.scoring.rubric import load_rubric, parse_rubric

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "paperbench"
REAL = ["semantic-self-consistency", "stochastic-interpolants"]


def node(id_, text, weight=1, sub=(), cat=None, fine=None):
    return {"id": id_, "requirements": text, "weight": weight, "sub_tasks": list(sub),
            "task_category": cat, "finegrained_task_category": fine}


TREE = node("root", "All of it", 1, [
    node("data", "Data prepared", 1, [node("d1", "split", 1, cat="Code Development",
                                           fine="Data Processing & Preparation")]),
    node("method", "Method", 3, [
        node("m1", "Eq. 1", 2, cat="Code Development", fine="Method Implementation"),
        node("m2", "trained", 1, cat="Code Execution", fine="Experimental Setup"),
        node("m3", "accuracy 0.9", 1, cat="Result Analysis", fine="Evaluation, Metrics & Benchmarking"),
    ]),
])


@pytest.mark.parametrize("name", REAL)
def test_real_paperbench_rubrics_round_trip_exactly(tmp_path, name):
    source = SHARED / f"{name}.rubric.json"
    if not source.is_file():
        pytest.skip(f"{source} is absent (../shared/paperbench: see its README)")
    assert main(["rubric", "import", str(source), "-o", str(tmp_path / "r.yaml")]) == 0
    assert main(["rubric", "export", str(tmp_path / "r.yaml"), "-o", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text()) == json.loads(source.read_text())


def test_a_tree_keeps_every_node_weight_and_category_and_scores_like_paperbench():
    data = to_yaml(TREE, "tiny")
    rubric = parse_rubric(data)
    assert to_paperbench(rubric) == TREE
    assert [(leaf.id, leaf.kind, leaf.weight) for leaf in rubric.leaves] == [
        ("d1", "implementation", 1.0), ("m1", "implementation", 2.0), ("m2", "execution", 1.0),
        ("m3", "result", 1.0)]
    states = {"d1": "verified", "m1": "failed", "m2": "verified", "m3": "consistent"}
    # root = (1 * data + 3 * method) / 4; data = 1; method = (2 * 0 + 1 * 1 + 1 * 1) / 4 = 0.5
    assert score(rubric.tree, states) == pytest.approx((1 + 3 * 0.5) / 4)
    # Code Development only: data = 1, method = m1 = 0 -> (1 + 0) / 4
    assert score(rubric.tree, states, "implementation") == pytest.approx(0.25)
    assert score(rubric.tree, states, "result") == 1.0
    assert score(rubric.tree, {**states, "m3": "deviation"}, "result") == 0.0


def test_our_own_rubric_exports_under_a_root_named_after_the_paper():
    rubric = parse_rubric({"paper": {"title": "A Tiny Paper"}, "items": [
        {"id": "eq-1", "kind": "implementation", "text": "y = 2x", "where": "Eq. (1)", "weight": 2},
        {"id": "r", "kind": "result", "text": "0.9", "where": "Table 1", "category": "Evaluation"},
    ]})
    out = to_paperbench(rubric)
    assert (out["id"], out["weight"]) == ("a-tiny-paper", 1)
    assert [(c["id"], c["requirements"], c["weight"], c["task_category"], c["finegrained_task_category"])
            for c in out["sub_tasks"]] == [
        ("eq-1", "y = 2x (Eq. (1))", 2, "Code Development", None),
        ("r", "0.9 (Table 1)", 1, "Result Analysis", "Evaluation")]


def test_report_prints_the_weighted_score_of_an_imported_rubric(tmp_path, monkeypatch, capsys):
    (tmp_path / "tree.json").write_text(json.dumps(TREE))
    monkeypatch.chdir(tmp_path)
    assert main(["rubric", "import", "tree.json", "-o", "rubric.yaml"]) == 0
    (tmp_path / "test_tree.py").write_text(
        "import pytest\n\n@pytest.mark.paper('d1', 'm2')\ndef test_a():\n    pass\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --import-mode=importlib -p no:unraisableexception -p no:randomly\n")
    capsys.readouterr()
    assert main(["report", "test_tree.py"]) == 0
    out = capsys.readouterr().out
    # root = (1 * 1 + 3 * (1 / 4)) / 4 = 0.4375
    assert ("PaperBench score: 0.438 — Code Development 0.250, Code Execution 1.000, "
            "Result Analysis 0.000 (verified, within tolerance, consistent = 1, other states 0)") in out


@pytest.mark.parametrize("content, message", [
    ('[1, 2]', "root: not a PaperBench node"),
    ('{"id": "x", "requirements": "r", "weight": 1}', "root: not a PaperBench node"),
    (json.dumps(node("x", "r", 1, [node("y", "leaf", 1, cat="Subtree")])), "task_category is 'Subtree'"),
    (json.dumps(node("x", "r", "heavy", [node("y", "l", 1, cat="Code Development")])), "weight must be a number"),
    (json.dumps(node("x", "r", 1, [node("y y", "l", 1, cat="Code Development")])), "invalid id 'y y'"),
    ("{not json", "not a JSON file"),
])
def test_bad_json_gives_one_line_and_writes_nothing(tmp_path, capsys, content, message):
    (tmp_path / "in.json").write_text(content)
    assert main(["rubric", "import", str(tmp_path / "in.json"), "-o", str(tmp_path / "r.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not (tmp_path / "r.yaml").exists()
    assert f"error: {tmp_path / 'in.json'}: " in err  # the file is named, schema errors too


def test_missing_files_bad_yaml_and_an_existing_output(tmp_path, capsys):
    assert main(["rubric", "import", str(tmp_path / "none.json"), "-o", str(tmp_path / "r.yaml")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
    (tmp_path / "bad.yaml").write_text("paper: [unclosed\n")
    assert main(["rubric", "export", str(tmp_path / "bad.yaml"), "-o", str(tmp_path / "r.json")]) == 2
    assert "not valid YAML" in capsys.readouterr().err and not (tmp_path / "r.json").exists()
    (tmp_path / "tree.json").write_text(json.dumps(TREE))
    (tmp_path / "r.yaml").write_text("mine")
    assert main(["rubric", "import", str(tmp_path / "tree.json"), "-o", str(tmp_path / "r.yaml")]) == 2
    assert "exists; pass --force" in capsys.readouterr().err and (tmp_path / "r.yaml").read_text() == "mine"
    assert main(["rubric", "import", str(tmp_path / "tree.json"), "-o", str(tmp_path / "r.yaml"), "--force"]) == 0
    assert load_rubric(tmp_path / "r.yaml").leaf("m1").weight == 2
