"""The trainer: a run stopped and resumed equals a run that never stopped."""

from __future__ import annotations

import torch
from torch import nn

from paper2code.train import ReportRow, TrainConfig, Trainer, perplexity, reproduction_report


def make_trainer(checkpoint_path=None, checkpoint_every=0):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.2), nn.Tanh(), nn.Linear(16, 3))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
    x, y = torch.randn(200, 6, generator=torch.Generator().manual_seed(1)), torch.randint(0, 3, (200,))

    def get_batch(step):
        idx = torch.randint(0, 200, (16,))  # the global RNG: must be restored on resume
        return x[idx], y[idx]

    cfg = TrainConfig(steps=30, eval_every=10, checkpoint_every=checkpoint_every,
                      checkpoint_path=checkpoint_path, progress=False)
    return Trainer(model, opt, get_batch, nn.functional.cross_entropy, cfg, sched,
                   evaluate=lambda m: m(x).argmax(-1).eq(y).float().mean().item())


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    straight = make_trainer()
    straight.fit()

    ckpt = tmp_path / "ckpt.pt"
    first = make_trainer(str(ckpt), checkpoint_every=10)
    first.fit(until=20)  # "interrupted" after step 20, with a checkpoint at 20
    torch.manual_seed(12345)  # the world moves on: other code draws random numbers
    resumed = make_trainer(str(ckpt), checkpoint_every=10)
    resumed.load(ckpt)
    assert resumed.step == 20
    resumed.fit()

    for p, q in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(p, q)  # bit for bit
    assert [h["loss"] for h in straight.history] == [h["loss"] for h in resumed.history]
    assert straight.optimizer.param_groups[0]["lr"] == resumed.optimizer.param_groups[0]["lr"]


def test_resume_without_rng_state_would_differ(tmp_path):
    # The check above can fail: drop the RNG state and the runs part ways.
    straight = make_trainer()
    straight.fit()
    ckpt = tmp_path / "ckpt.pt"
    first = make_trainer(str(ckpt), checkpoint_every=10)
    first.fit(until=20)
    state = torch.load(ckpt, weights_only=False)
    state["rng"]["torch"] = torch.manual_seed(999).get_state()
    torch.save(state, ckpt)
    resumed = make_trainer(str(ckpt))
    resumed.load(ckpt)
    resumed.fit()
    assert not all(torch.equal(p, q) for p, q in zip(straight.model.parameters(), resumed.model.parameters(), strict=True))


def test_history_records_loss_lr_and_evaluation():
    t = make_trainer()
    history = t.fit()
    assert len(history) == 30 and history[-1]["step"] == 30
    assert "eval" in history[9] and "eval" not in history[8]
    assert history[-1]["loss"] < history[0]["loss"]


def test_report_and_perplexity():
    rows = [ReportRow("params", 65e6, 63.08e6, 2e6), ReportRow("BLEU", 27.3, 25.0, 0.5, "tiny data")]
    table = reproduction_report(rows)
    assert "| params | 65,000,000 | 63,080,000 | -1.92e+06 | 2,000,000 | yes |" in table
    assert "| BLEU (tiny data) | 27.3 | 25 | -2.3 | 0.5 | **no** |" in table
    assert abs(perplexity(0.0) - 1.0) < 1e-12


def test_history_records_the_learning_rate_each_step_used():
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s + 1)  # 1, 2, 3, ...
    used = []
    original_step = opt.step

    def step(*args, **kwargs):
        used.append(opt.param_groups[0]["lr"])
        return original_step(*args, **kwargs)

    opt.step = step
    trainer = Trainer(model, opt, lambda i: (torch.randn(4, 2), torch.randn(4, 1)),
                      torch.nn.functional.mse_loss, TrainConfig(steps=3, progress=False), sched)
    history = trainer.fit()
    assert used == [1.0, 2.0, 3.0]
    assert [r["lr"] for r in history] == used
