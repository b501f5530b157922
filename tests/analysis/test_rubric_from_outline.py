"""paper2code.analysis.rubric: the rubric `analyze` writes, drawn from the outline."""

from __future__ import annotations

import copy

import pytest
import yaml

from paper2code.analysis import analyze, sample_paper
from paper2code.analysis.rubric import rubric_from_outline, rubric_yaml
from paper2code.rubric import parse_rubric


@pytest.fixture(scope="module", params=["pdf", "tex"])
def outline(request):
    return analyze(sample_paper(request.param)).outline


def test_every_numbered_equation_and_algorithm_is_a_leaf(outline):
    rubric = parse_rubric(yaml.safe_load(rubric_yaml(outline)), "rubric.yaml")
    ids = {leaf.id for leaf in rubric.leaves}
    assert len(outline.equations) == 6 and len(outline.algorithms) == 1
    assert {f"eq-{e['number']}" for e in outline.equations} <= ids
    assert {f"alg-{a['number']}" for a in outline.algorithms} <= ids
    eq2 = rubric.leaf("eq-2")
    assert eq2.kind == "implementation" and "√" in eq2.text and eq2.where.startswith("Eq. (2)")


def test_hyperparameters_keep_their_value_and_source(outline):
    rubric = parse_rubric(rubric_from_outline(outline))
    warmup = rubric.leaf("hp-warmup_steps")
    assert warmup.value == 4000 and warmup.text == "warmup_steps = 4000"
    # β1 and β2 keep their subscripts (β_1 from LaTeX, β1 from the PDF): two leaves
    pdf = bool(outline.hyperparameters[0]["location"]["page"])
    beta1, beta2 = ("hp-beta1", "hp-beta2") if pdf else ("hp-beta_1", "hp-beta_2")
    assert rubric.leaf(beta1).value == 0.9 and rubric.leaf(beta2).value == 0.98


def test_extra_keys_are_tolerated_and_table_cells_become_result_leaves(outline):
    data = copy.deepcopy(outline.to_dict())
    data["authors"] = ["A. Author"]
    for h in data["hyperparameters"]:
        h.update(table="1", row=h["name"], column="Value", rank=1)
    data["tables"] = [
        {"number": "1", "caption": "Hyperparameters", "header": ["Parameter", "Value"],
         "rows": [["Layers", "6"]], "location": {"page": 1, "section": None, "line": 60}},
        {"number": "2", "caption": "Results", "header": ["Model", "BLEU", "Notes"],
         "rows": [["base", "27.3", "—"], ["big", "28.4", "best"]], "mentions": 1,
         "location": {"page": 2, "section": "5 Results", "line": 80}},
    ]
    rubric = parse_rubric(rubric_from_outline(data, arxiv="0000.00000"))
    results = [leaf for leaf in rubric.leaves if leaf.kind == "result"]
    assert [(r.id, r.value) for r in results] == [("tab-2-base-bleu", 27.3), ("tab-2-big-bleu", 28.4)]
    assert results[0].where.startswith("Table 2, row base, column BLEU, p. 2")
    assert results[0].tolerance == {"rel": 0.01}
