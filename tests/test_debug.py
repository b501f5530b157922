"""Each debugging tool catches its planted bug, and passes on the correct model."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.autograd.gradcheck import GradcheckError

from paper2code.diagnostics.debug import (
    ablate,
    dependency_matrix,
    gradcheck_module,
    initial_loss,
    layer_statistics,
    lr_range_test,
    overfit,
)
from paper2code.nn.attention import MultiHeadAttention, causal_mask


def data(n=100, d=8, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randint(0, classes, (n,), generator=g)


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 4))


class FrozenHidden(nn.Module):
    """Planted bug: the hidden layer's output is detached, so only the head learns.

    Same width as ``mlp``: the only difference from the control is the bug.
    """

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.hidden, self.head = nn.Linear(8, 64), nn.Linear(64, 4)

    def forward(self, x):
        return self.head(torch.relu(self.hidden(x)).detach())


def test_overfit_memorises_a_correct_model_and_catches_a_crippled_one():
    x, y = data()
    good = overfit(mlp, x, y, sizes=(1, 10, 100), max_steps=400)
    assert all(r.reached for r in good), [str(r) for r in good]
    bad = overfit(FrozenHidden, x, y, sizes=(100,), max_steps=400)
    assert not bad[-1].reached  # only the head learns: far slower than the control
    assert "NOT memorised" in str(bad[-1])


def test_overfit_says_stalled_only_when_the_loss_stopped_falling():
    x, y = data()

    class Constant(nn.Module):  # no parameter reaches the output: the loss cannot move
        def __init__(self):
            super().__init__()
            self.unused = nn.Linear(8, 4)

        def forward(self, x):
            return torch.zeros(len(x), 4) + 0 * self.unused.weight.sum()

    (flat,) = overfit(Constant, x, y, sizes=(10,), max_steps=50)
    assert flat.stalled_at == 1 and "no 1% gain since step 1" in str(flat)
    (falling,) = overfit(FrozenHidden, x, y, sizes=(100,), max_steps=400)
    assert falling.stalled_at is None and "still falling" in str(falling)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x


class WrongSquare(Square):
    @staticmethod
    def backward(ctx, g):  # planted bug: forgot the factor 2
        (x,) = ctx.saved_tensors
        return g * x


def test_gradcheck_catches_a_wrong_backward():
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(Square.apply, (x,))
    with pytest.raises(GradcheckError):
        torch.autograd.gradcheck(WrongSquare.apply, (x,))


def test_gradcheck_module_on_a_whole_module():
    class Sq(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.lin, self.fn = nn.Linear(3, 3), fn

        def forward(self, x):
            return self.fn(self.lin(x))

    assert gradcheck_module(Sq(Square.apply), torch.randn(2, 3))
    with pytest.raises(GradcheckError):
        gradcheck_module(Sq(WrongSquare.apply), torch.randn(2, 3))


def test_dependency_matrix_catches_a_causal_leak_and_batch_mixing():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(3, 5, 8)
    good = dependency_matrix(lambda x: mha(x, x, x, causal_mask(5)), x, axis=1)
    assert torch.equal(good, torch.ones(5, 5, dtype=torch.bool).tril())
    leaky_mask = torch.ones(5, 5, dtype=torch.bool).tril(1)
    leaky = dependency_matrix(lambda x: mha(x, x, x, leaky_mask), x, axis=1)
    assert leaky.triu(1).any()
    # Along the batch: a correct layer keeps examples apart; BatchNorm-style mixing does not.
    assert torch.equal(dependency_matrix(lambda x: mha(x, x, x), x, axis=0), torch.eye(3, dtype=torch.bool))
    mixed = dependency_matrix(lambda x: x - x.mean(dim=0, keepdim=True), x, axis=0)
    assert mixed.all()


def test_initial_loss_is_ln_c_for_a_good_init_and_not_for_a_bad_one():
    x, y = data()
    model = mlp()
    with torch.no_grad():
        model[-1].weight.mul_(0.01)
        model[-1].bias.zero_()
    loss, expected = initial_loss(model, x, y, 4)
    assert abs(loss - expected) < 0.05 and expected == pytest.approx(math.log(4))
    with torch.no_grad():
        model[-1].weight.normal_(0.0, 10.0)  # planted bug: a huge output layer
    loss, expected = initial_loss(model, x, y, 4)
    assert loss > 2 * expected


def test_layer_statistics_show_a_vanishing_initialisation():
    x, y = data()

    def deep(std):
        torch.manual_seed(0)
        layers = []
        for _ in range(8):
            lin = nn.Linear(8, 8)
            nn.init.normal_(lin.weight, std=std)
            nn.init.zeros_(lin.bias)
            layers += [lin, nn.Tanh()]
        return nn.Sequential(*layers, nn.Linear(8, 4))

    good = layer_statistics(deep(1 / math.sqrt(8)), x, y)
    bad = layer_statistics(deep(0.01), x, y)  # planted bug: weights far too small
    assert len(good) == 9 and all(s.grad_std is not None for s in good)
    assert good[7].act_std > 0.1
    assert bad[7].act_std < 1e-6  # the signal is gone by layer 8


def test_lr_range_test_suggests_a_rate_inside_the_sweep():
    x, y = data(n=512)
    result = lr_range_test(mlp, x, y, steps=80)
    assert 1e-5 <= result.suggested <= 1e-1
    assert min(result.losses) < result.losses[0]
    fig = result.figure()
    assert fig.axes[0].get_xscale() == "log"


def test_ablation_tabulates_each_switch():
    @dataclass
    class Cfg:
        hidden: int = 32
        use_relu: bool = True

    def evaluate(cfg):
        return cfg.hidden / 32 + (0.5 if cfg.use_relu else 0.0)

    rows = ablate(Cfg(), {"no relu": {"use_relu": False}, "narrow": {"hidden": 16}}, evaluate)
    assert rows == [("full model", 1.5, 0.0), ("no relu", 1.0, -0.5), ("narrow", 1.0, -0.5)]
