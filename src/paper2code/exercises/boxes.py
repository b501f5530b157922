"""The exercise boxes on the pages: what each says about its checks, written from the checks themselves.

``paper2code.exercises.boxes.rewrite(page_text)`` replaces, in each box
``!!! example "Exercise `NAME`: ..."``, the paragraph that describes the checks
(the cases, the number of catalogued bugs) with one built from the exercise's
:class:`~paper2code.exercises.engine.Spec`, and drops any solution collapsible
under the box: the solution and the catalogue stay behind an explicit step
(``paper2code exercise bugs NAME``, ``paper2code exercise solution NAME``).
``tests/test_exercises.py`` asserts every page is as ``rewrite`` leaves it.
"""

from __future__ import annotations

import importlib
import re

from paper2code.exercises.catalog import BY_NAME

BOX = re.compile(r'^!!! example "Exercise `(?P<name>[a-z_0-9]+)`: [^"]*"\n')


def spec_of(name: str):
    module = importlib.import_module(f"paper2code.exercises.{BY_NAME[name].module}")
    return next(s for s in module.SPECS if s.name == name)


def describe(name: str) -> str:
    """The box's paragraph on the checks, wrapped at 100 columns and indented for the admonition."""
    spec = spec_of(name)
    import torch

    def on_cpu(case) -> bool:  # a case that runs only where a GPU is (padding_mask's device check) is not listed
        values = [*case.args, *case.kwargs.values()]
        return all(v.device.type == "cpu" for v in values if isinstance(v, torch.Tensor))

    labels = [c.label for c in spec.cases() if on_cpu(c)]
    extra = []
    if spec.grad_cases:
        extra.append("compares float64 gradients and runs `gradcheck`")
    extra += [f"tests that {d}" for d, _ in spec.invariants]
    if labels:
        start = (f"The checker runs your code and ours on {len(labels)} cases ({'; '.join(labels)})"
                 + (", " + " and ".join(extra) if extra else "") + ", and checks that your code leaves its inputs "
                 "as it found them.")
    else:
        start = "The checker " + "; ".join(extra).replace("; tests that", "; that") + "."
    text = (f"{start} When a check fails, it prints what the numbers show and, when your results "
            f"equal one of the {len(spec.bugs)} bugs it knows, names it. Only then, if you want them: "
            f"`paper2code exercise bugs {name}` lists the known bugs and `paper2code exercise solution {name}` "
            "prints ours.")
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > 96:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join("    " + x for x in lines) + "\n"


def rewrite(page: str) -> str:
    out, lines, i = [], page.splitlines(keepends=True), 0
    while i < len(lines):
        m = BOX.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        name = m["name"]
        out.append(lines[i])
        i += 1
        body = []
        while i < len(lines) and (lines[i].startswith("    ") or lines[i].strip() == ""):
            body.append(lines[i])
            i += 1
        text = "".join(body)
        paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
        kept = []
        for p in paragraphs:
            if p.lstrip().startswith("??? success") or p.lstrip().startswith("```python") and "--8<--" in p:
                continue
            if p.lstrip().startswith("--8<--") or p.strip() == "```":
                continue
            if p.lstrip().startswith("The checker"):
                p = describe(name).rstrip("\n")
            kept.append(p)
        out.append("\n" + "\n\n".join(kept) + "\n\n")
    return "".join(out)
