"""The test helpers themselves: each must pass on good code and fail on bad."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from paper2code.diagnostics.reference import assert_matches_reference
from paper2code.diagnostics.testing import assert_shape, check_gradient_flow, count_parameters


class Ours(nn.Module):
    """Three layers with our own names."""

    def __init__(self, broken: bool = False):
        super().__init__()
        self.inp = nn.Linear(4, 8)
        self.hidden = nn.Linear(8, 8)
        self.out = nn.Linear(8, 2)
        self.broken = broken

    def forward(self, x):
        h = torch.relu(self.inp(x))
        h = self.hidden(h)
        h = torch.tanh(h) if not self.broken else torch.sigmoid(h)  # the planted bug
        return self.out(h)


def reference():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


NAME_MAP = {
    "inp.weight": "0.weight", "inp.bias": "0.bias",
    "hidden.weight": "2.weight", "hidden.bias": "2.bias",
    "out.weight": "4.weight", "out.bias": "4.bias",
}


def test_assert_matches_reference_passes_on_a_faithful_port():
    x = torch.randn(5, 4)
    assert_matches_reference(Ours(), reference(), [x], NAME_MAP)


def test_assert_matches_reference_names_the_first_diverging_layer():
    x = torch.randn(5, 4)
    with pytest.raises(AssertionError, match=r"first diverging layer: out \(reference 4\)"):
        assert_matches_reference(Ours(broken=True), reference(), [x], NAME_MAP)


def test_assert_matches_reference_reports_gradient_mismatch():
    class GradBug(Ours):
        def forward(self, x):
            out = super().forward(x)
            # same value, wrong gradient for the hidden layer's bias
            return out + (self.hidden.bias - self.hidden.bias.detach()).sum()

    with pytest.raises(AssertionError, match="gradients differ for: hidden.bias"):
        assert_matches_reference(GradBug(), reference(), [torch.randn(5, 4)], NAME_MAP)


def test_assert_matches_reference_requires_a_complete_map():
    with pytest.raises(KeyError, match="out.bias"):
        assert_matches_reference(Ours(), reference(), [torch.randn(2, 4)],
                                 {k: v for k, v in NAME_MAP.items() if k != "out.bias"})


def test_assert_matches_reference_checks_shapes():
    bad = dict(NAME_MAP, **{"hidden.weight": "0.weight"})
    with pytest.raises(ValueError, match="hidden.weight"):
        assert_matches_reference(Ours(), reference(), [torch.randn(2, 4)], bad)


def test_count_parameters_counts_shared_weights_once_and_prints_a_table():
    model = nn.Module()
    model.a = nn.Linear(3, 3, bias=False)
    model.b = nn.Linear(3, 3, bias=False)
    model.b.weight = model.a.weight  # tied
    model.c = nn.Linear(3, 1)
    model.c.requires_grad_(False)
    count = count_parameters(model)
    assert (count.total, count.trainable) == (13, 9)
    assert count.by_module == {"a": 9, "c": 4}
    text = str(count)
    assert "total" in text and "13" in text and text.splitlines()[0].startswith("a")


def test_check_gradient_flow_finds_each_kind_of_problem():
    model = nn.ModuleDict({
        "used": nn.Linear(2, 2),
        "unused": nn.Linear(2, 2),
        "dead": nn.Linear(2, 2),
        "nan": nn.Linear(2, 2),
        "huge": nn.Linear(2, 2),
    })
    x = torch.randn(3, 2)
    loss = model["used"](x).sum()
    loss = loss + 0.0 * model["dead"](x).sum()
    loss = loss + model["nan"](x).sum() * float("nan")
    loss = loss + 1e6 * model["huge"](x).sum()
    loss.backward()
    report = check_gradient_flow(model)
    assert not report.ok
    assert report.no_grad == ["unused.weight", "unused.bias"]
    assert report.zero == ["dead.weight", "dead.bias"]
    assert report.non_finite == ["nan.weight", "nan.bias"]
    assert report.exploding == ["huge.weight", "huge.bias"]
    assert "no gradient: unused.weight" in str(report)


def test_check_gradient_flow_ok_on_a_healthy_model():
    model = nn.Linear(3, 2)
    model(torch.randn(4, 3)).pow(2).sum().backward()
    assert check_gradient_flow(model).ok


def test_assert_shape_binds_and_checks_names():
    dims = assert_shape(torch.zeros(2, 3, 4), ("B", None, 4))
    assert dims == {"B": 2}
    with pytest.raises(AssertionError, match="expected 3 dimensions"):
        assert_shape(torch.zeros(2, 3), ("B", "T", 4))
    with pytest.raises(AssertionError, match="dimension 2 is 5, expected 4"):
        assert_shape(torch.zeros(2, 3, 5), ("B", "T", 4))


def test_assert_matches_reference_compares_in_eval_mode_and_restores_the_modes():
    # Dropout in train mode would make a correct model differ from itself.
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5)).double()
    ours = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5)).double()
    ours.train(), ref.train()
    x = torch.randn(8, 4, dtype=torch.float64)
    assert_matches_reference(ours, ref, [x], {"0.weight": "0.weight", "0.bias": "0.bias"})
    assert ours.training and ref.training


def test_assert_matches_reference_catches_a_model_that_detaches_its_input():
    torch.manual_seed(0)

    class Detaching(torch.nn.Linear):
        def forward(self, x):
            return super().forward(x.detach())

    ref, ours = torch.nn.Linear(3, 2).double(), Detaching(3, 2).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    with pytest.raises(AssertionError, match="input 0"):
        assert_matches_reference(ours, ref, [x], {"weight": "weight", "bias": "bias"})
