"""The list of exercises: what ``paper2code exercise list`` shows, without importing torch."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One exercise as the reader sees it.

    Attributes:
        name: What the reader types: ``paper2code exercise start NAME``.
        phase: Where it sits in the handbook: building blocks, case studies, workflow.
        page: The page that teaches it, relative to the site root.
        goal: One line: what to write.
        symbol: The function or class the reader's file must define.
        solution: ``path/in/src.py:section``, the snippet the page shows as our solution.
        module: Where the checks live (``paper2code.exercises.MODULE``).
    """

    name: str
    phase: str
    page: str
    goal: str
    symbol: str
    solution: str
    module: str


_B, _C, _W = "Building blocks", "Case studies", "Workflow"
_ATT, _POS = "building-blocks/attention.md", "building-blocks/positional-encodings.md"
_NORM, _OPT = "building-blocks/normalisation-and-feed-forward.md", "building-blocks/optimisers.md"

ENTRIES: tuple[Entry, ...] = (
    Entry("attention", _B, _ATT, "scaled dot-product attention with a boolean mask (Eq. 1)",
          "scaled_dot_product_attention", "src/paper2code/nn/attention.py:sdpa", "attention"),
    Entry("causal_mask", _B, _ATT, "the causal mask, also with cached keys (t_k > t_q)",
          "causal_mask", "src/paper2code/nn/attention.py:masks", "attention"),
    Entry("padding_mask", _B, _ATT, "the padding mask of shape (B, 1, 1, T_k) from sequence lengths",
          "padding_mask", "src/paper2code/nn/attention.py:masks", "attention"),
    Entry("multi_head", _B, _ATT, "multi-head attention: split into heads, attend, merge, project",
          "MultiHeadAttention", "src/paper2code/nn/attention.py:mha", "attention"),
    Entry("sinusoidal", _B, _POS, "the sinusoidal position table of Section 3.5",
          "sinusoidal_table", "src/paper2code/nn/positional.py:sinusoidal", "layers"),
    Entry("rotary", _B, _POS, "rotary position embedding (RoPE) on adjacent pairs",
          "apply_rotary", "src/paper2code/nn/positional.py:rope", "layers"),
    Entry("layer_norm", _B, _NORM, "LayerNorm over the last dimension, biased variance, eps inside the root",
          "LayerNorm", "src/paper2code/nn/norm.py:layernorm", "norms"),
    Entry("rms_norm", _B, _NORM, "RMSNorm: rescale by the root mean square, no recentring",
          "RMSNorm", "src/paper2code/nn/norm.py:rmsnorm", "norms"),
    Entry("residual", _B, _NORM, "the Transformer's residual sub-layer, post-norm and pre-norm",
          "Residual", "src/paper2code/nn/norm.py:residual", "norms"),
    Entry("label_smoothing", _B, "building-blocks/losses.md",
          "cross-entropy with label smoothing and ignored padding targets",
          "label_smoothed_cross_entropy", "src/paper2code/losses.py:label_smoothing", "training"),
    Entry("adam", _B, _OPT, "Adam's update with bias correction (Algorithm 1)",
          "Adam", "src/paper2code/optim.py:adam", "training"),
    Entry("transformer_lr", _B, _OPT, "the Transformer's warm-up schedule, Eq. (3)",
          "transformer_lr", "src/paper2code/optim.py:schedules", "training"),
    Entry("cosine_warmup", _B, _OPT, "linear warm-up, then cosine decay to a floor",
          "cosine_with_warmup", "src/paper2code/optim.py:schedules", "training"),
    Entry("lora", _C, "case-studies/lora.md", "a LoRA layer and its merged weight W0 + (alpha/r) B A",
          "LoRALinear", "src/paper2code/case_studies/lora.py:lora", "case_studies"),
    Entry("q_sample", _C, "case-studies/ddpm.md", "DDPM's forward process: a draw from q(x_t | x_0), Eq. (4)",
          "q_sample", "src/paper2code/case_studies/ddpm.py:forward", "case_studies"),
    Entry("posterior", _C, "case-studies/ddpm.md", "mean and variance of q(x_{t-1} | x_t, x_0), Eqs. (6)-(7)",
          "posterior", "src/paper2code/case_studies/ddpm.py:forward", "case_studies"),
    Entry("gae", _C, "case-studies/ppo.md", "generalized advantage estimation with termination vs truncation",
          "gae", "src/paper2code/case_studies/ppo.py:gae", "case_studies"),
    Entry("ppo_clip", _C, "case-studies/ppo.md", "PPO's clipped surrogate objective, Eq. (7)",
          "clipped_surrogate", "src/paper2code/case_studies/ppo.py:loss", "case_studies"),
    Entry("shortcut", _C, "case-studies/resnet.md", "ResNet's shortcut: identity, option A (zero-pad), option B",
          "Shortcut", "src/paper2code/models/resnet.py:shortcut", "resnet"),
    Entry("basic_block", _C, "case-studies/resnet.md", "ResNet's basic block: two 3x3 convolutions plus the shortcut",
          "BasicBlock", "src/paper2code/models/resnet.py:blocks", "resnet"),
    Entry("zero_shard", _C, "case-studies/zero.md",
          "ZeRO's bookkeeping on one process: a rank's padded shard of the reduce-scatter, and the all-gather",
          "zero_shard", "src/paper2code/exercises/solutions.py:zero_shard", "tools"),
    Entry("split", _W, "workflow/data.md", "a train/test split by group, with no leakage, from a seed",
          "split_by_group", "src/paper2code/data.py:split", "workflow"),
    Entry("seeded_loader", _W, "workflow/data.md", "a DataLoader whose order and worker draws depend on the seed only",
          "make_loader", "src/paper2code/data.py:make_loader", "workflow"),
    Entry("sum_tolerance", _W, "workflow/testing.md", "the error bound of a float32 sum: a tolerance derived, not tuned",
          "sum_tolerance", "src/paper2code/numerics.py:sum_tolerance", "workflow"),
    Entry("prediction_interval", _W, "workflow/evaluation.md",
          "the prediction interval for one more run (or the mean of k), Student t, Eq. (2)",
          "prediction_interval", "src/paper2code/exercises/solutions.py:prediction_interval", "tools"),
    Entry("paired_difference", _W, "workflow/evaluation.md",
          "the paired comparison of two arms over the same seeds: mean difference and its t interval",
          "paired_difference", "src/paper2code/exercises/solutions.py:paired_difference", "tools"),
    Entry("rubric_score", _W, "workflow/testing.md",
          "PaperBench's score of a rubric tree: leaves 1 or 0 by state, parents the weighted mean",
          "rubric_score", "src/paper2code/exercises/solutions.py:rubric_score", "tools"),
)

BY_NAME = {entry.name: entry for entry in ENTRIES}


def _module_file(entry: Entry) -> tuple[str, Path]:
    module = entry.solution.partition(":")[0].removeprefix("src/").removesuffix(".py").replace("/", ".")
    # Located in the installed package, not found through the import system: without torch,
    # paper2code's import hook refuses the modules that import it (see paper2code/__init__.py).
    import paper2code

    return module, Path(paper2code.__file__).parent.joinpath(*module.split(".")[1:]).with_suffix(".py")


def solution_source(entry: Entry) -> str:
    """The snippet section the page shows as the solution, read from the installed package."""
    section = entry.solution.partition(":")[2]
    lines = _module_file(entry)[1].read_text(encoding="utf-8").splitlines()
    start = re.compile(rf"^\s*#\s*-{{2}}8<-{{2}}\s*\[start:{re.escape(section)}\]\s*$")
    end = re.compile(rf"^\s*#\s*-{{2}}8<-{{2}}\s*\[end:{re.escape(section)}\]\s*$")
    first = next(i for i, line in enumerate(lines) if start.match(line))
    last = next(i for i, line in enumerate(lines) if i > first and end.match(line))
    return "\n".join(lines[first + 1 : last]).strip("\n") + "\n"


def solution_file(entry: Entry) -> str:
    """The solution as a file that runs: the module's imports, the names it uses from the module, the snippet."""
    module, path = _module_file(entry)
    source = path.read_text(encoding="utf-8")
    tree, snippet = ast.parse(source), solution_source(entry)
    lines = source.splitlines()
    imports = ["\n".join(lines[node.lineno - 1 : node.end_lineno]) for node in tree.body
               if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", None) != "__future__"]
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    snippet_tree = ast.parse(snippet)
    own = {n.name for n in snippet_tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    used = {n.id for n in ast.walk(snippet_tree) if isinstance(n, ast.Name)}
    needed = sorted((used & defined) - own)
    if needed:
        imports.append(f"from {module} import {', '.join(needed)}")
    shown = "our solution" if "/exercises/" in entry.solution else f"as {entry.page} shows it"
    header = f"# {entry.solution}, {shown}\nfrom __future__ import annotations\n\n"
    return header + "\n".join(imports) + "\n\n\n" + snippet


def stub_source(entry: Entry) -> str:
    """The file ``start`` writes: signature, docstring with the equation and shapes, NotImplementedError."""
    return (Path(__file__).parent / "stubs" / f"{entry.name}.py").read_text(encoding="utf-8")
