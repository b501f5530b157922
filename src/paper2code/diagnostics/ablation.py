"""The ablation debug: strip the model to a core that works, then add components back one at a time.

The last step of the debugging gauntlet (the seed procedure: "remove
components until it works; add back one at a time"). When the full model
fails and the checks before it pass, some component, or the way it is wired
in, breaks it. The procedure:

1. Evaluate the full config. If it works, there is nothing to find.
2. Switch every listed component off: the *core*. If the core fails too, the
   bug is in the core; go back to the overfit test and the gradient check.
3. Switch the components back on one at a time, in the order given, keeping
   the ones already added. The first addition after which the model fails
   is the culprit (or the last piece of a failing combination).
4. Confirm: the full config with only the culprit switched off must work.
   If it does not, another component fails as well; run again without it.

Components are switched through a dataclass config, so every variant is a
config that can be logged and rerun.

Differences from the paper: not applicable (a debugging method).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["AblationReport", "find_breaking_component"]


# --8<-- [start:report]
@dataclass
class AblationReport:
    """What each stage of the procedure scored, and its verdict."""

    full: float
    core: float | None = None
    added: list[tuple[str, float, bool]] = field(
        default_factory=list
    )  # name, score, ok
    culprit: str | None = None
    without_culprit: float | None = None  # full config, culprit off
    confirmed: bool | None = None
    verdict: str = ""

    def __str__(self) -> str:
        lines = [f"{'full model':<22} {self.full:.2f}"]
        if self.core is not None:
            lines.append(f"{'core (all off)':<22} {self.core:.2f}")
        for name, score, ok in self.added:
            lines.append(
                f"{'+ ' + name:<22} {score:.2f}{'' if ok else '  <- fails'}"
            )
        if self.without_culprit is not None:
            lines.append(
                f"{'full - ' + str(self.culprit):<22}"
                f" {self.without_culprit:.2f}"
            )
        return "\n".join([*lines, self.verdict])


# --8<-- [end:report]


# --8<-- [start:find]
def find_breaking_component(
    config: Any,
    components: Mapping[str, Mapping[str, Any]],
    evaluate: Callable[[Any], float],
    ok: Callable[[float], bool],
) -> AblationReport:
    """Strip to the core, add components back in order, name the breaking one.

    Args:
        config: The full model's dataclass config, as the paper describes it.
        components: Component name -> the field values that switch it *off*,
            e.g. ``{"dropout": {"dropout": 0.0}}``, in the order to add back.
        evaluate: Trains and scores a config (small and quick: it runs up to
            ``len(components) + 3`` times).
        ok: Whether a score counts as working, e.g. ``lambda acc: acc > 0.9``.
    """
    report = AblationReport(full=evaluate(config))
    if ok(report.full):
        report.verdict = "the full model works: nothing to find"
        return report
    off: dict[str, Any] = {}
    for overrides in components.values():
        off.update(overrides)
    current = replace(config, **off)
    report.core = evaluate(current)
    if not ok(report.core):
        report.verdict = (
            "the core fails too: debug the core first (overfit, gradcheck)"
        )
        return report
    for name, overrides in components.items():
        # switch it back on: its fields take the full config's values
        current = replace(current, **{k: getattr(config, k) for k in overrides})
        score = evaluate(current)
        report.added.append((name, score, ok(score)))
        if not ok(score):
            report.culprit = name
            break
    if report.culprit is None:
        report.verdict = (
            "each addition works, the full model not: is it deterministic?"
        )
        return report
    report.without_culprit = evaluate(
        replace(config, **components[report.culprit])
    )
    report.confirmed = ok(report.without_culprit)
    report.verdict = (
        f"culprit: {report.culprit} (the full model works without it)"
        if report.confirmed
        else f"{report.culprit} breaks it, and so does something else:"
        " rerun without it"
    )
    return report


# --8<-- [end:find]
