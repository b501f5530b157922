"""ResNet case study: Table 1's FLOPs, the vision bugs, the degradation record."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from paper2code.case_studies.resnet import (
    DegradationConfig,
    PerPixelMean,
    count_macs,
    digits_data,
    evaluate,
    final_error,
    shift,
    train_one,
)
from paper2code.figures import load
from paper2code.models.resnet import cifar_resnet, resnet18, resnet34, resnet50
from paper2code.scoring.rubric import load_rubric
from paper2code.scoring.scorecard import judge
from paper2code.statistics.evaluation import compare_arms

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/resnet.yaml")
RUBRIC = Path(__file__).resolve().parents[2] / "src/paper2code/case_studies/rubrics/resnet.yaml"

# Table 1, "FLOPs" (multiply-adds) at 224×224, in units of 10^9.
PAPER_GMACS = {"resnet18": 1.8, "resnet34": 3.6, "resnet50": 3.8}
FLOPS_REL_TOL = 0.025  # stated before the count; the paper prints 2 digits


def meta(factory, **kw):
    with torch.device("meta"):  # count from shapes: no arithmetic
        return factory(**kw)


@pytest.mark.paper("tab-1-flops-18", "tab-1-flops-34", "tab-1-flops-50")
def test_multiply_adds_match_table_1_within_tolerance(paper_result):
    import torchvision  # here, not at collection: it takes seconds to import

    ours = {
        "resnet18": count_macs(meta(resnet18)),
        "resnet34": count_macs(meta(resnet34)),
        "resnet50": count_macs(meta(resnet50, stride_on="1x1")),  # as the paper's model
    }
    for name, paper in PAPER_GMACS.items():
        assert abs(ours[name] / 1e9 - paper) <= FLOPS_REL_TOL * paper, (name, ours[name])
        paper_result(f"tab-1-flops-{name.removeprefix('resnet')}", ours[name])
    # torchvision's v1.5 places the stride on the 3×3: more multiply-adds,
    # outside the tolerance, and equal to torchvision's own recorded "_ops".
    v15 = count_macs(meta(resnet50)) / 1e9
    assert abs(v15 - 3.8) > FLOPS_REL_TOL * 3.8
    recorded = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"]
    assert round(v15, 3) == recorded
    assert round(ours["resnet18"] / 1e9, 3) == torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["_ops"]


@pytest.mark.paper("tab-1-flops-18", "tab-1-flops-50")
@pytest.mark.parametrize("factory", [resnet18, resnet50])
def test_flop_counter_mode_counts_two_flops_per_multiply_add(factory):
    model = meta(factory)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 224, 224, device="meta"))
    assert counter.get_total_flops() == 2 * count_macs(model)


def trained_tiny_model():
    """A few SGD steps, so that BN's running statistics are not the defaults."""
    x_tr, y_tr, _, _ = digits_data()
    normalise = PerPixelMean(x_tr)
    torch.manual_seed(0)
    model = cifar_resnet(1, width=8, in_channels=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for i in range(30):
        idx = torch.arange(64 * i, 64 * (i + 1)) % len(x_tr)
        loss = torch.nn.functional.cross_entropy(model(normalise(x_tr[idx])), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, normalise, x_tr, y_tr


@pytest.mark.paper("hp-batchnorm")
def test_evaluation_puts_batchnorm_in_inference_mode():
    model, normalise, x, y = trained_tiny_model()
    bn = model.stem[1]
    before = bn.running_mean.clone(), bn.num_batches_tracked.clone()
    whole = evaluate(model, x[:64], y[:64], normalise, batch_size=64)
    assert torch.equal(bn.running_mean, before[0])  # evaluating does not train BN
    assert torch.equal(bn.num_batches_tracked, before[1])
    # An image's prediction does not depend on the other images in its batch.
    assert evaluate(model, x[:64], y[:64], normalise, batch_size=4) == whole
    assert model.training  # the caller's mode is restored


@pytest.mark.paper("hp-per-pixel-mean")
def test_normalisation_is_the_training_sets_per_pixel_mean():
    x_tr, _, x_te, _ = digits_data()
    normalise = PerPixelMean(x_tr)
    assert normalise.mean.shape == (1, 1, 8, 8)  # one mean per pixel position
    # every pixel position has mean zero over the training images ...
    assert normalise(x_tr).mean(dim=0).abs().max() < 1e-6
    # ... and the test images get the same subtraction, not their own mean
    assert torch.equal(normalise(x_te), x_te - x_tr.mean(dim=0, keepdim=True))


@pytest.mark.paper("hp-per-pixel-mean")
def test_evaluation_applies_the_training_normalisation():
    model, normalise, x, y = trained_tiny_model()
    with torch.no_grad():
        by_hand = (model.eval()(normalise(x)).argmax(-1) != y).float().mean().item()
    model.train()
    assert evaluate(model, x, y, normalise) == pytest.approx(by_hand, abs=1e-6)
    assert by_hand < 0.5  # the model learned something, so the check can bite


# ---- the degradation experiment ---------------------------------------------------
RECORD = load("resnet_degradation")
PREFIX_STEPS = 8  # the cheap prefix re-run by the suite, for the shallow nets
LOSS_REL_TOL = 1e-4  # seen: ≤ 4e-6 with other CPU kernels and thread counts


@pytest.mark.paper("hp-momentum", "hp-weight-decay", "hp-learning-rate", "hp-batch-size",
                   "hp-iterations")
def test_recording_is_of_the_current_configuration_and_budget():
    cfg = DegradationConfig()
    assert RECORD["config"] == json.loads(json.dumps(asdict(cfg)))
    assert RECORD["command"] == "uv run python -m paper2code.case_studies.resnet --full"
    # The budget: 10 minutes of the 2 cores. Wall time depends on how many
    # others share them (the page shows it, with the load average).
    cpu = sum(run["cpu_seconds"] for runs in RECORD["runs"].values() for run in runs.values())
    assert cpu / RECORD["workers"] <= 10 * 60
    assert RECORD["workers"] <= 2
    assert len(cfg.seeds) >= 5
    # Section 3.4 (momentum, weight decay, initial rate); batch 128 of Section 4.2
    assert (cfg.momentum, cfg.weight_decay, cfg.lr, cfg.batch_size) == (0.9, 1e-4, 0.1, 128)


@pytest.mark.paper("claim-degradation", "claim-residual-no-degradation",
                   "claim-residual-beats-plain")
def test_recorded_runs_compared_seed_by_seed_by_the_criteria_stated_before(paper_result):
    # The rubric's criteria (paired over the same seeds, 95%): plain-32 above plain-8
    # (the degradation), plain-32 above residual-32, and the paper's direction for the
    # residual nets, residual-32 *below* residual-8, which these runs do not show.
    err = {name: {int(seed): final_error(run) for seed, run in runs.items()}  # by seed: paired
           for name, runs in RECORD["runs"].items()}
    assert len(RECORD["config"]["seeds"]) >= 5
    paper_result("claim-degradation", err["plain-32"], baseline=err["plain-8"])
    paper_result("claim-residual-beats-plain", err["plain-32"], baseline=err["residual-32"])
    residual = paper_result("claim-residual-no-degradation", err["residual-32"],
                            baseline=err["residual-8"], must_match=False)
    assert residual.verdict == "cannot tell"  # reported on the page: not reproduced


def test_the_verdicts_on_the_seeds_not_seen_before_the_criteria():
    # Seeds 0-2 of every arm were recorded before the criteria: the confirmatory verdicts
    # are those of seeds 3-5 (the page shows both); the same as on all 6 seeds.
    err = {name: [final_error(runs[str(s)]) for s in (3, 4, 5)] for name, runs in RECORD["runs"].items()}
    pairs = (("plain-32", "plain-8"), ("residual-32", "residual-8"), ("plain-32", "residual-32"))
    assert [compare_arms(err[a], err[b]).verdict for a, b in pairs] == ["higher", "cannot tell", "higher"]


def test_a_residual_net_without_its_shortcuts_is_caught(monkeypatch):
    # Planted: the residual flag dropped on the way to the model (every "residual" net is
    # plain). The registered comparison, plain-32 against residual-32 over the rubric's
    # seeds, then sees identical runs, and its verdict is not the paper's "higher".
    import paper2code.case_studies.resnet as resnet_study

    real = resnet_study.cifar_resnet
    monkeypatch.setattr(resnet_study, "cifar_resnet",
                        lambda n, width=16, **kw: real(n, width, **{**kw, "residual": False}))
    leaf = load_rubric(RUBRIC).leaf("claim-residual-beats-plain")
    cfg = DegradationConfig(width=2, steps=2, eval_every=1)  # small: the bug is in the model builder
    n = cfg.depths[0]
    plain, res = ([train_one(cfg, n, residual, seed, stop=1)["train_error"][-1]
                   for seed in leaf.criterion["seeds"]] for residual in (False, True))
    assert plain == res
    assert judge(leaf, plain, res).verdict != leaf.criterion["expect"]


def _gaps(kind: str) -> list[float]:
    from paper2code.case_studies.resnet import run_name

    n_small, n_big = RECORD["config"]["depths"]
    deep, shallow = (RECORD["runs"][run_name(n, kind == "residual")] for n in (n_big, n_small))
    return [final_error(deep[s]) - final_error(shallow[s]) for s in deep]


@pytest.mark.paper("claim-degradation")
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("deep", [False, True])
def test_a_prefix_of_the_recorded_runs_is_reproduced(residual, deep):
    """Seed 0: 8 steps of the 8-layer nets, the first step of the 32-layer nets.

    In the 32-layer plain net one SGD step amplifies float noise thousands-fold
    (seen: 4e-7 at step 1, 3e-3 at step 2 with ATen's default kernels), so
    only its first loss, a function of the initialisation, the batch and the
    shift alone, is comparable across machines.
    """
    cfg = DegradationConfig()
    n = cfg.depths[1] if deep else cfg.depths[0]
    steps = 1 if deep else PREFIX_STEPS
    fresh = train_one(cfg, n, residual, seed=0, stop=steps)
    recorded = RECORD["runs"][f"{'residual' if residual else 'plain'}-{6 * n + 2}"]["0"]
    assert fresh["loss"] == pytest.approx(recorded["loss"][:steps], rel=LOSS_REL_TOL)


@pytest.mark.paper("hp-learning-rate")
def test_learning_rate_is_divided_by_10_at_half_and_three_quarters_of_the_steps():
    # A run of 8 steps: 0.1 for steps 1-4, 0.01 for 5-6, 0.001 for 7-8. Stopped
    # after 7 (a prefix, as the suite re-runs), it keeps the 8-step schedule.
    cfg = DegradationConfig(depths=(1, 1), width=2, steps=8, eval_every=100, seeds=(0,))
    lr = train_one(cfg, 1, True, seed=0, stop=7)["lr"]
    assert lr == pytest.approx([0.1] * 4 + [0.01] * 2 + [0.001], rel=1e-12)


def test_tiny_configuration_trains():
    cfg = DegradationConfig(depths=(1, 2), steps=40, eval_every=20, seeds=(0,))
    run = train_one(cfg, 1, True, seed=0)
    assert run["train_error"][-1] < run["train_error"][0] or run["train_error"][-1] < 0.3
    assert run["loss"][-1] < run["loss"][0]


def test_bad_command_line_exits_2_and_writes_nothing(capsys):
    from paper2code.case_studies.resnet import RECORD as path
    from paper2code.case_studies.resnet import main

    before = path.stat().st_mtime_ns
    with pytest.raises(SystemExit) as exit_info:
        main(["--full", "--workers", "0"])
    assert exit_info.value.code == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert path.stat().st_mtime_ns == before


@pytest.mark.paper("hp-augmentation")
def test_the_augmentation_shifts_by_at_most_one_pixel_with_zero_fill():
    x = torch.arange(1, 2 * 8 * 8 + 1, dtype=torch.float32).reshape(2, 1, 8, 8)
    g = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(100):
        y = shift(x, g)
        assert y.shape == x.shape
        # y is x moved by (di, dj) in {-1, 0, 1}², the same move for the whole batch
        (di, dj), = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)
                     if torch.equal(y, torch.roll(x, (a, b), (2, 3)) * _inside(a, b))]
        seen.add((di, dj))
    assert len(seen) == 9  # every move, the identity included


def _inside(di: int, dj: int) -> torch.Tensor:
    """1 where a pixel moved by (di, dj) came from inside the image, 0 where it is fill."""
    mask = torch.ones(8, 8)
    if di:
        mask[0 if di > 0 else -1, :] = 0
    if dj:
        mask[:, 0 if dj > 0 else -1] = 0
    return mask
