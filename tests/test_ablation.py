"""The ablation procedure names the component that breaks the model, and only it."""

from __future__ import annotations

from dataclasses import dataclass

from paper2code.diagnostics.ablation import find_breaking_component


@dataclass
class Cfg:
    a: bool = True
    b: bool = True
    c: bool = True
    d: bool = True


COMPONENTS = {"a": {"a": False}, "b": {"b": False}, "c": {"c": False}, "d": {"d": False}}


def scorer(broken):
    """A model that fails (score 0) when any component named in ``broken`` is on."""
    calls = []

    def evaluate(cfg):
        calls.append(cfg)
        return 0.0 if any(getattr(cfg, k) for k in broken) else 1.0

    return evaluate, calls


def ok(score):
    return score > 0.5


def test_names_the_culprit_and_confirms_it():
    evaluate, calls = scorer({"c"})
    report = find_breaking_component(Cfg(), COMPONENTS, evaluate, ok)
    assert report.core == 1.0 and [n for n, _, _ in report.added] == ["a", "b", "c"]
    assert report.culprit == "c" and report.confirmed is True
    assert calls[-1] == Cfg(c=False)  # the confirmation run: full model minus c
    assert "culprit: c" in str(report) and "+ c" in str(report)


def test_a_second_failing_component_is_reported_unconfirmed():
    evaluate, _ = scorer({"b", "d"})
    report = find_breaking_component(Cfg(), COMPONENTS, evaluate, ok)
    assert report.culprit == "b" and report.confirmed is False
    assert "and so does something else" in report.verdict


def test_a_broken_core_stops_before_adding_anything():
    report = find_breaking_component(Cfg(), COMPONENTS, lambda cfg: 0.0, ok)
    assert report.added == [] and report.culprit is None and "core fails" in report.verdict


def test_a_working_model_is_evaluated_once():
    evaluate, calls = scorer(set())
    report = find_breaking_component(Cfg(), COMPONENTS, evaluate, ok)
    assert len(calls) == 1 and report.culprit is None and "nothing to find" in report.verdict


def test_an_interaction_is_found_by_adding_back_cumulatively():
    """a and c are each harmless; together they fail. Testing each alone finds nothing."""

    def evaluate(cfg):
        return 0.0 if cfg.a and cfg.c else 1.0

    report = find_breaking_component(Cfg(), COMPONENTS, evaluate, ok)
    assert report.culprit == "c" and report.confirmed is True
