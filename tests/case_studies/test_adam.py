"""Adam: bit-level agreement with torch.optim.Adam, and the recorded digits comparison."""

from __future__ import annotations

import copy

import pytest
import torch

from paper2code.case_studies.adam import AdamPyTorchOrder, bias_correction_data, digits_experiment
from paper2code.figures import load
from paper2code.optim import Adam

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/adam.yaml")


def run(opt_cls, net, steps, **kw):
    opt = opt_cls(net.parameters(), **kw)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(16, 6, generator=g), torch.randn(16, 2, generator=g)
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        opt.step()
    return net


@pytest.mark.paper("alg-1", "sec-2-efficient-order")
def test_pytorch_order_is_bit_identical_over_500_steps_and_algorithm_1_within_1e_6():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    ref = run(torch.optim.Adam, copy.deepcopy(net), 500, foreach=False)
    same = run(AdamPyTorchOrder, copy.deepcopy(net), 500)
    ours = run(Adam, copy.deepcopy(net), 500)
    for r, s, o in zip(ref.parameters(), same.parameters(), ours.parameters(), strict=True):
        assert torch.equal(r, s)
        torch.testing.assert_close(o, r, rtol=0, atol=1e-6)


@pytest.mark.paper("sec-3-bias-correction")
@pytest.mark.paper("hp-defaults")
def test_defaults_are_algorithm_1s():
    opt = Adam([torch.zeros(1, requires_grad=True)])
    assert {k: opt.defaults[k] for k in ("lr", "betas", "eps")} == {
        "lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8
    }


def test_bias_correction_makes_the_first_estimate_unbiased():
    d = bias_correction_data()
    assert d["m_hat"][0] == d["g"][0]  # m̂_1 = g_1 exactly
    assert d["m"][0] < 0.2 * d["g"][0]  # m_1 = 0.1 g_1: biased towards zero


def test_mean_of_m_t_is_1_minus_beta1_to_the_t_times_the_mean_gradient():
    # Section 3: E[m_t] = (1 - beta1^t) E[g] for a stationary gradient. 200,000 runs as the
    # coordinates of one parameter; standard error < 1.5e-4, tolerance 1e-3 (set before).
    n, beta1 = 200_000, 0.9
    theta = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    opt = Adam([theta])
    gen = torch.Generator().manual_seed(0)
    for t in range(1, 21):
        theta.grad = 1.0 + 0.3 * torch.randn(n, generator=gen, dtype=torch.float64)
        opt.step()
        assert abs(opt.state[theta]["m"].mean().item() - (1 - beta1**t)) < 1e-3, t


def test_uncorrected_over_corrected_step_follows_its_closed_form_for_20_steps():
    # alpha*m/(sqrt(v)+eps) over the step taken = (1 - beta1^t)/sqrt(1 - beta2^t):
    # 3.16 at t = 1, 6.57 at t = 12. Float64; eps alone moves it < 1e-6; tolerance 1e-5.
    theta = torch.ones(5, dtype=torch.float64, requires_grad=True)
    opt = Adam([theta], lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    for t in range(1, 21):
        theta.grad = 1.0 + 0.3 * torch.randn(5, generator=gen, dtype=torch.float64)
        before = theta.detach().clone()
        opt.step()
        m, v = opt.state[theta]["m"], opt.state[theta]["v"]
        ratio = 1e-3 * m / (v.sqrt() + 1e-8) / (before - theta.detach())
        closed = (1 - 0.9**t) / (1 - 0.999**t) ** 0.5
        torch.testing.assert_close(ratio, torch.full_like(ratio, closed), rtol=1e-5, atol=0)


def test_a_prefix_of_the_recorded_digits_run_reproduces():
    # 3 epochs of the recorded logistic-regression/Adam run (the cheapest) must match the
    # recording within 1e-4 relative.
    from paper2code.case_studies.adam import _train

    record = load("adam_digits")["runs"]["logistic regression / Adam"]
    prefix = _train("logistic regression", "Adam", record["lr"], epochs=3)
    for a, b in zip(prefix, record["loss"][:3], strict=True):
        assert abs(a - b) < 1e-4 * b, (a, b)


@pytest.mark.paper("exec-digits")
def test_dry_run_of_the_digits_experiment():
    result = digits_experiment(epochs=1, grid={"Adam": [1e-3], "SGD+Nesterov": [1e-1]})
    assert set(result["runs"]) == {f"{k} / {o}" for k in ("logistic regression", "MLP") for o in ("Adam", "SGD+Nesterov")}


@pytest.mark.paper("claim-mlp-faster")
def test_the_mlp_claim_holds_on_the_registered_new_seeds(paper_result):
    """The pre-registered comparison: SGD minus Adam, log10 loss after epoch 10, paired by seed."""
    import math

    from paper2code.case_studies.adam import RUBRIC
    from paper2code.scoring.rubric import load_rubric

    leaf = load_rubric(RUBRIC).leaf("claim-mlp-faster")
    record = load("adam_digits")
    confirm = record["confirmation"]
    assert confirm["seeds"] == leaf.criterion["seeds"]  # the runs are the registered ones
    # ... at the rates the seed-0 grid chose, each inside its grid (tuned methods)
    for opt in ("Adam", "SGD+Nesterov"):
        assert confirm["rates"][opt] == record["runs"][f"MLP / {opt}"]["lr"]
        assert record["grid"][opt][0] < confirm["rates"][opt] < record["grid"][opt][-1], opt
    sgd, adam = ({int(s): math.log10(curve[9]) for s, curve in confirm["loss"][o].items()}
                 for o in ("SGD+Nesterov", "Adam"))
    paper_result("claim-mlp-faster", sgd, baseline=adam)  # fails unless the verdict is "higher"


def test_a_prefix_of_the_confirmation_runs_reproduces():
    # Two epochs of seed 10, both arms, within 1e-4 relative of the recording.
    from paper2code.case_studies.adam import confirm_mlp

    confirm = load("adam_digits")["confirmation"]
    again = confirm_mlp(confirm["rates"], [10], epochs=2)
    for opt, curves in again.items():
        for a, b in zip(curves["10"], confirm["loss"][opt]["10"][:2], strict=False):
            assert abs(a - b) < 1e-4 * b, (opt, a, b)
