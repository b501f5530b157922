"""LoRA: zero start, exact merge, GPT-3 counts against Table 4, frozen base."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from paper2code.case_studies.lora import LoRALinear, gpt3_trainable_parameters

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/lora.yaml")


@pytest.mark.paper("eq-3", "sec-4.1-init", "sec-4.1-init-scale")
def test_starts_equal_to_the_base_and_trains_only_a_and_b():
    torch.manual_seed(0)
    base = nn.Linear(10, 7)
    lora = LoRALinear(base, r=3, alpha=6)
    x = torch.randn(4, 10)
    assert torch.equal(lora(x), base(x))
    assert [n for n, p in lora.named_parameters() if p.requires_grad] == ["A", "B"]


@pytest.mark.paper("eq-3", "sec-4.1-merge")
def test_merge_gives_identical_outputs_and_the_base_is_untouched():
    torch.manual_seed(0)
    base = nn.Linear(10, 7)
    w0 = base.weight.clone()
    lora = LoRALinear(base, r=3, alpha=6)
    with torch.no_grad():
        lora.B.normal_()
    x = torch.randn(4, 10, dtype=torch.float64)
    lora.double()
    torch.testing.assert_close(lora.merged()(x), lora(x), rtol=1e-12, atol=1e-12)
    assert torch.equal(base.weight.float(), w0)


@pytest.mark.paper("tab-4-r1-params", "tab-4-r8-params")
def test_gpt3_counts_match_table_4_to_its_rounding(paper_result):
    assert round(gpt3_trainable_parameters(1) / 1e6, 1) == 4.7
    assert round(gpt3_trainable_parameters(8) / 1e6, 1) == 37.7
    paper_result("tab-4-r1-params", gpt3_trainable_parameters(1))
    paper_result("tab-4-r8-params", gpt3_trainable_parameters(8))


def test_rank_must_be_positive():
    with pytest.raises(ValueError):
        LoRALinear(nn.Linear(2, 2), r=0)
