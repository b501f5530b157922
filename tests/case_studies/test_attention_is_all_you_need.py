"""The Transformer case study's numbers, recomputed."""

from __future__ import annotations

import pytest

from paper2code.case_studies.attention_is_all_you_need import (
    ROUNDING,
    gap_candidates,
    parameter_breakdown,
    schedule,
    sizes,
)
from paper2code.case_studies.copy_task import CopyTaskConfig, exact_match, trained_copy_model
from paper2code.models.transformer import transformer_base_config

# The leaves these tests check: see the case study's scorecard.
pytestmark = pytest.mark.paper_rubric("src/paper2code/case_studies/rubrics/attention_is_all_you_need.yaml")


@pytest.mark.paper("tab-3-base-params", "tab-3-big-params")
def test_breakdown_equals_a_direct_count(paper_result):
    assert sum(parameter_breakdown(transformer_base_config()).values()) == 63_082_496
    ours = sizes()
    assert ours == {"base": 63_082_496, "big": 214_245_376}
    # Recorded for the scorecard, which shows how far off they are (unexplained: see below).
    paper_result("tab-3-base-params", ours["base"], must_match=False)
    paper_result("tab-3-big-params", ours["big"], must_match=False)


def test_no_single_candidate_explains_both_gaps():
    # The page says "unexplained": that stays true only while no candidate fits both.
    for candidate, (base_gap, big_gap) in gap_candidates().items():
        fits = abs(base_gap) <= ROUNDING["base_params"] and abs(big_gap) <= ROUNDING["big_params"]
        assert not fits, candidate
    vocab = gap_candidates()["a 40,745-token vocabulary"]
    assert abs(vocab[0]) < 1024 and vocab[1] > 5e6  # closes the base gap, widens the big one


@pytest.mark.paper("eq-3")
def test_schedule_peaks_at_warmup():
    steps, lrs = schedule(10_000)
    assert steps[lrs.index(max(lrs))] == 4000


@pytest.mark.paper("exec-train")
def test_copy_task_reaches_exact_match_and_the_smoothing_floor():
    cfg = CopyTaskConfig()
    model, losses = trained_copy_model(cfg)
    assert exact_match(model, cfg) >= 0.99
    assert losses[-1] < 0.55 < losses[0]  # the floor with eps=0.1 over 10 tokens is 0.500


def test_the_copy_task_catches_a_decoder_that_sees_the_target(monkeypatch):
    """Without the shift the decoder is shown the answer. Its loss is at the smoothing
    floor within 60 steps, where the correct model's is still far above it (the bug's
    signature, and proof that it learned what it was shown), yet it cannot copy by itself: exact match
    under greedy decoding, with the real data, is what tells it from the correct model
    (>= 0.99 above). A missing causal mask is not caught this way (with one decoder layer
    the model can still copy through cross-attention); test_decoder_is_causal catches it."""
    from paper2code.case_studies import copy_task

    original = copy_task.copy_batch

    def unshifted(cfg, batch_size, generator):
        src, _, target = original(cfg, batch_size, generator)
        return src, target, target

    cfg = CopyTaskConfig(steps=60)
    _, honest = copy_task.train_copy_model(cfg)
    monkeypatch.setattr(copy_task, "copy_batch", unshifted)
    model, losses = copy_task.train_copy_model(cfg)
    monkeypatch.undo()  # evaluate with the real data
    assert losses[-1] < 0.55 < 1.0 < honest[-1]  # the floor is 0.500: too good, too early
    assert exact_match(model.eval(), cfg) < 0.95
