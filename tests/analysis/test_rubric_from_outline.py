"""paper2code.analysis.rubric: the rubric tree `analyze` writes, drawn from the outline and the prose."""

from __future__ import annotations

import copy

import pytest
import yaml

from paper2code.analysis import analyze, sample_paper
from paper2code.analysis.rubric import rubric_from_outline, rubric_yaml
from paper2code.scoring.rubric import parse_rubric


@pytest.fixture(scope="module", params=["pdf", "tex"])
def analysis(request):
    return analyze(sample_paper(request.param))


@pytest.fixture(scope="module")
def outline(analysis):
    return analysis.outline


def nodes(items):
    for node in items:
        yield node
        yield from nodes(node.get("children", []))


def test_the_sample_paper_tree_by_contribution(analysis):
    tree = rubric_from_outline(analysis.outline, "", analysis.conversion.text)
    assert [(g["id"], g["weight"]) for g in tree["items"]] == [
        ("setup", 1), ("method-method", 3), ("method-architecture", 3)]
    method = {leaf["id"]: leaf for leaf in tree["items"][1]["children"]}
    assert list(method) == ["eq-1", "eq-2", "eq-3", "eq-4", "eq-5", "eq-6", "alg-1", "claim-2-1"]
    assert method["claim-2-1"]["text"].startswith("We train with cross-entropy plus a penalty on the memory's norm,")
    assert method["alg-1"]["weight"] > method["eq-1"]["weight"] > 1
    claim = tree["items"][2]["children"][0]
    assert claim["id"] == "claim-3-1" and claim["text"].startswith("We use h = 8 attention heads")
    pdf = analysis.conversion.kind == "pdf"
    assert claim["where"] == ("p. 2, §3 Architecture, line 59" if pdf else "§3 Architecture, line 88")
    setup = [leaf["id"] for leaf in tree["items"][0]["children"]]
    assert setup[0] == "hp-n" and "hp-warmup_steps" in setup
    for node in nodes(tree["items"]):
        assert isinstance(node["weight"], int | float) and node["weight"] > 0, node["id"]
        if "children" not in node:
            assert node["kind"] in ("implementation", "execution", "result") and node["category"]
    # the sample paper reports no result: no experiments, no results, and nothing made up
    assert not [n for n in nodes(tree["items"]) if n.get("kind") == "result" or "tolerance" in n]


def test_every_numbered_equation_and_algorithm_is_a_leaf(outline):
    rubric = parse_rubric(yaml.safe_load(rubric_yaml(outline)), "rubric.yaml")
    ids = {leaf.id for leaf in rubric.leaves}
    assert len(outline.equations) == 6 and len(outline.algorithms) == 1
    assert {f"eq-{e['number']}" for e in outline.equations} <= ids
    assert {f"alg-{a['number']}" for a in outline.algorithms} <= ids
    eq2 = rubric.leaf("eq-2")
    pdf = bool(outline.equations[0]["location"]["page"])
    assert eq2.kind == "implementation" and eq2.where.startswith("Eq. (2)")
    assert eq2.text == ("rt = Mt qt / √dk" if pdf else r"r_t = M_t q_t / \sqrt{d_k}")  # LaTeX, exactly


def test_hyperparameters_keep_their_value_and_source(outline):
    rubric = parse_rubric(rubric_from_outline(outline))
    warmup = rubric.leaf("hp-warmup_steps")
    assert warmup.value == 4000 and warmup.text == "warmup_steps = 4000"
    # β1 and β2 keep their subscripts (β_1 from LaTeX, β1 from the PDF): two leaves
    pdf = bool(outline.hyperparameters[0]["location"]["page"])
    beta1, beta2 = ("hp-beta1", "hp-beta2") if pdf else ("hp-beta_1", "hp-beta_2")
    assert rubric.leaf(beta1).value == 0.9 and rubric.leaf(beta2).value == 0.98


RESULTS = [
    {"number": "1", "caption": "Hyperparameters", "header": ["Parameter", "Value"], "setup": True,
     "rows": [["Layers", "6"]], "location": {"page": 1, "section": None, "line": 60}},
    {"number": "2", "caption": "Results", "header": ["Model", "BLEU", "Acc"], "setup": False,
     "rows": [["ByteNet [18]", "23.75", "88.1"], ["DMA (base)", "27.3", "4.2± 0.2"],
              ["DMA (big)", "28.4", "97.86(3.78)"], ["baseline (ours)", "25.0", "90"]],
     "mentions": 1, "location": {"page": 2, "section": "5 Results", "line": 80}},
]


def test_own_results_become_result_leaves_without_a_tolerance(outline):
    data = copy.deepcopy(outline.to_dict())
    data["authors"] = ["A. Author"]  # keys the rubric does not read are tolerated
    data["tables"] = copy.deepcopy(RESULTS)
    experiments = next(s["location"]["line"] for s in data["sections"] if s["text"].endswith("Experiments"))
    data["figures"] = [{"text": "Figure 3", "number": "3", "location": {"line": experiments + 1}},
                       {"text": "Figure 1", "number": "1", "location": {"line": 2}}]  # in the title: no run
    tree = rubric_from_outline(data, arxiv="0000.00000")
    assert [g["id"] for g in tree["items"]][-2:] == ["experiments", "results"]
    # a run per results table (not the set-up table) and per figure first shown in the experiments
    assert [leaf["id"] for leaf in tree["items"][-2]["children"]] == ["exec-table-2", "exec-figure-3"]
    rubric = parse_rubric(tree)
    results = [leaf for leaf in rubric.leaves if leaf.kind == "result"]
    # DMA's own rows (the title's acronym), not ByteNet's (cited) nor the baseline's
    assert [(r.id, r.value) for r in results] == [
        ("tab-2-dma_base-bleu", 27.3), ("tab-2-dma_base-acc", 4.2),
        ("tab-2-dma_big-bleu", 28.4), ("tab-2-dma_big-acc", 97.86)]
    assert results[0].where.startswith("Table 2, row DMA (base), column BLEU, p. 2")
    assert all(r.tolerance == {} for r in results)
    leaves = {n["id"]: n for n in nodes(tree["items"])}
    assert leaves["tab-2-dma_base-acc"]["spread"] == 0.2 and leaves["tab-2-dma_big-acc"]["spread"] == 3.78
    assert "spread" not in leaves["tab-2-dma_big-bleu"]
    # a marker from the table extraction, when there is one, decides instead of the names
    data["tables"][1]["own"] = [0]
    marked = [n["id"] for n in nodes(rubric_from_outline(data)["items"]) if n.get("kind") == "result"]
    assert marked == ["tab-2-bytenet_18-bleu", "tab-2-bytenet_18-acc"]
