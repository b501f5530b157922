"""Test helpers for paper implementations: counts, shapes, gradients, references.

What the Testing chapter teaches, as functions a reader can import:

* [`count_parameters`][paper2code.diagnostics.testing.count_parameters]: total, trainable
  and per-module counts, shared weights counted once, as a printable table;
* [`assert_shape`][paper2code.diagnostics.testing.assert_shape]: shapes with named
  dimensions that must agree across calls;
* [`check_gradient_flow`][paper2code.diagnostics.testing.check_gradient_flow]: which
  parameters got no, zero, non-finite or exploding gradients;
* [`assert_matches_reference`][paper2code.diagnostics.testing.assert_matches_reference]:
  copy a reference module's weights onto ours through a name map, compare
  outputs and gradients with dtype-aware tolerances, and on failure name the
  first layer whose output diverges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

__all__ = [
    "GradientReport",
    "ParameterCount",
    "assert_matches_reference",
    "assert_shape",
    "check_gradient_flow",
    "count_parameters",
    "default_tolerance",
]


# --8<-- [start:count_parameters]
@dataclass
class ParameterCount:
    """Parameter counts of a model; ``str()`` gives a table."""

    total: int
    trainable: int
    by_module: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        width = max([len(k) for k in self.by_module] + [len("trainable")])
        rows = [f"{name:<{width}}  {n:>12,}" for name, n in self.by_module.items()]
        rule = "-" * (width + 14)
        return "\n".join(
            [*rows, rule, f"{'total':<{width}}  {self.total:>12,}",
             f"{'trainable':<{width}}  {self.trainable:>12,}"]
        )


def count_parameters(model: nn.Module, depth: int = 1) -> ParameterCount:
    """Count parameters, each shared tensor once, grouped by module name.

    Args:
        model: The model.
        depth: How many levels of the module tree name a group: 1 groups
            ``encoder.layers.0.attn.q_proj.weight`` under ``encoder``, 2 under
            ``encoder.layers``. Parameters of the root module itself are
            grouped under ``(root)``.

    Examples:
        >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> count = count_parameters(net)
        >>> count.total, count.by_module
        (26, {'0': 16, '2': 10})
    """
    by_module: dict[str, int] = {}
    total = trainable = 0
    # named_parameters() yields a tensor shared by two modules once, under its first name.
    for name, p in model.named_parameters():
        parts = name.split(".")[:-1]
        group = ".".join(parts[:depth]) or "(root)"
        by_module[group] = by_module.get(group, 0) + p.numel()
        total += p.numel()
        trainable += p.numel() if p.requires_grad else 0
    return ParameterCount(total, trainable, by_module)
# --8<-- [end:count_parameters]


# --8<-- [start:assert_shape]
def assert_shape(
    tensor: Tensor, spec: Sequence[int | str | None], dims: dict[str, int] | None = None
) -> dict[str, int]:
    """Check a shape against a spec of sizes and names; names must agree across calls.

    Args:
        tensor: The tensor to check.
        spec: One entry per dimension: an int (that size), a name (bound on
            first use, then checked), or ``None`` (any size).
        dims: Bindings from earlier calls; updated in place.

    Returns:
        The bindings, to pass to the next call.

    Examples:
        >>> d = assert_shape(torch.zeros(2, 5, 8), ("B", "T", 8))
        >>> d
        {'B': 2, 'T': 5}
        >>> assert_shape(torch.zeros(2, 6, 8), ("B", "T", 8), d)
        Traceback (most recent call last):
        ...
        AssertionError: dimension 1 ('T') is 6, expected 5 from an earlier shape; shape (2, 6, 8) vs spec ('B', 'T', 8)
    """
    dims = {} if dims is None else dims
    shape = tuple(tensor.shape)
    where = f"shape {shape} vs spec {tuple(spec)}"
    if len(shape) != len(spec):
        raise AssertionError(f"expected {len(spec)} dimensions, got {len(shape)}; {where}")
    for i, (size, want) in enumerate(zip(shape, spec, strict=True)):
        if want is None:
            continue
        if isinstance(want, int):
            if size != want:
                raise AssertionError(f"dimension {i} is {size}, expected {want}; {where}")
        elif want in dims and dims[want] != size:
            raise AssertionError(
                f"dimension {i} ({want!r}) is {size}, expected {dims[want]} from an earlier shape; {where}"
            )
        else:
            dims[want] = size
    return dims
# --8<-- [end:assert_shape]


# --8<-- [start:gradient_flow]
@dataclass
class GradientReport:
    """Which parameters received a usable gradient after ``backward()``."""

    no_grad: list[str] = field(default_factory=list)  # .grad is None: not in the graph
    zero: list[str] = field(default_factory=list)  # all exactly zero: a dead path
    non_finite: list[str] = field(default_factory=list)  # NaN or inf
    exploding: list[str] = field(default_factory=list)  # norm above the threshold
    norms: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.no_grad or self.zero or self.non_finite or self.exploding)

    def __str__(self) -> str:
        if self.ok:
            return f"all {len(self.norms)} parameters have finite, non-zero gradients"
        parts = [f"{label}: {', '.join(names)}" for label, names in (
            ("no gradient", self.no_grad), ("zero gradient", self.zero),
            ("NaN/inf gradient", self.non_finite), ("exploding gradient", self.exploding),
        ) if names]
        return "; ".join(parts)


def check_gradient_flow(model: nn.Module, max_norm: float = 1e3) -> GradientReport:
    """Inspect the gradients of every trainable parameter after ``loss.backward()``.

    Args:
        model: A model whose backward pass has run.
        max_norm: A gradient whose L2 norm exceeds this counts as exploding.
    """
    report = GradientReport()
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            report.no_grad.append(name)
            continue
        g = p.grad.detach()
        if not torch.isfinite(g).all():
            report.non_finite.append(name)
            continue
        norm = g.norm().item()
        report.norms[name] = norm
        if norm == 0.0:
            report.zero.append(name)
        elif norm > max_norm:
            report.exploding.append(name)
    return report
# --8<-- [end:gradient_flow]


# --8<-- [start:reference]
def default_tolerance(dtype: torch.dtype) -> dict[str, float]:
    """``torch.testing.assert_close``'s default rtol/atol for a dtype.

    Examples:
        >>> default_tolerance(torch.float32)
        {'rtol': 1.3e-06, 'atol': 1e-05}
    """
    table = {
        torch.float16: (1e-3, 1e-5),
        torch.bfloat16: (1.6e-2, 1e-5),
        torch.float32: (1.3e-6, 1e-5),
        torch.float64: (1e-7, 1e-7),
    }
    rtol, atol = table.get(dtype, (0.0, 0.0))
    return {"rtol": rtol, "atol": atol}


NameMap = Mapping[str, str | Callable[[dict[str, Tensor]], Tensor]]


def _load_mapped(ours: nn.Module, reference: nn.Module, name_map: NameMap) -> None:
    ref_state = dict(reference.state_dict())
    params = dict(ours.named_parameters())
    missing = sorted(set(params) - set(name_map))
    if missing:
        raise KeyError(f"name_map has no entry for our parameters: {missing}")
    with torch.no_grad():
        for ours_name, source in name_map.items():
            value = source(ref_state) if callable(source) else ref_state[source]
            target = params[ours_name]
            if target.shape != value.shape:
                raise ValueError(
                    f"{ours_name}: our shape {tuple(target.shape)} != reference {tuple(value.shape)}"
                )
            target.copy_(value)


def _module_pairs(ours: nn.Module, reference: nn.Module, name_map: NameMap):
    """(our module name, reference module name) for plain one-to-one weight maps."""
    ours_modules, ref_modules = dict(ours.named_modules()), dict(reference.named_modules())
    pairs = {}
    for ours_name, source in name_map.items():
        if callable(source):
            continue
        a, b = ours_name.rpartition(".")[0], source.rpartition(".")[0]
        if a in ours_modules and b in ref_modules and a not in pairs:
            pairs[a] = b
    return pairs, ours_modules, ref_modules


def _record_outputs(modules: dict[str, nn.Module], names) -> tuple[dict[str, Tensor], list]:
    seen: dict[str, Tensor] = {}
    handles = []
    for name in names:
        def hook(_module, _inputs, output, name=name):
            if isinstance(output, tuple):
                output = output[0]
            if isinstance(output, Tensor) and name not in seen:
                seen[name] = output.detach().clone()
        handles.append(modules[name].register_forward_hook(hook))
    return seen, handles


def assert_matches_reference(
    ours: nn.Module,
    reference: nn.Module,
    inputs: Sequence[Tensor],
    name_map: NameMap,
    *,
    call_ours: Callable[..., Tensor] | None = None,
    call_reference: Callable[..., Tensor] | None = None,
    check_grads: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
) -> None:
    """Load the reference's weights into ours, then compare outputs and gradients.

    Args:
        ours: Our module.
        reference: The trusted module (a PyTorch built-in, or the official code).
        inputs: Positional inputs, given to both models (cloned for each).
        name_map: For each of our parameter names, the reference's name, or a
            function of the reference's ``state_dict()`` that builds the tensor
            (for fused weights such as ``in_proj_weight``).
        call_ours: How to call our model (default ``ours(*inputs)``).
        call_reference: How to call the reference (default ``reference(*inputs)``);
            return just the output tensor.
        check_grads: Also compare parameter and input gradients.
        rtol: Relative tolerance; the dtype's default when omitted.
        atol: Absolute tolerance; the dtype's default when omitted.
        seed: Seed for the random output gradient.

    Both models are put in eval mode first (dropout off, BatchNorm on its
    running statistics), as a comparison of one function needs; their modes
    are restored afterwards.

    Raises:
        AssertionError: naming the first layer (in our execution order) whose
            output differs, or the parameters whose gradients differ.
    """
    modes = (ours.training, reference.training)
    ours.eval(), reference.eval()
    try:
        _compare(ours, reference, inputs, name_map, call_ours, call_reference, check_grads, rtol, atol, seed)
    finally:
        ours.train(modes[0]), reference.train(modes[1])


def _compare(ours, reference, inputs, name_map, call_ours, call_reference, check_grads, rtol, atol, seed):
    _load_mapped(ours, reference, name_map)
    call_ours = call_ours or (lambda *xs: ours(*xs))
    call_reference = call_reference or (lambda *xs: reference(*xs))

    def fresh(xs):
        return [x.detach().clone().requires_grad_(x.is_floating_point()) for x in xs]

    ours_in, ref_in = fresh(inputs), fresh(inputs)
    pairs, ours_modules, ref_modules = _module_pairs(ours, reference, name_map)
    ours_seen, h1 = _record_outputs(ours_modules, pairs)
    ref_seen, h2 = _record_outputs(ref_modules, pairs.values())
    try:
        out, ref_out = call_ours(*ours_in), call_reference(*ref_in)
    finally:
        for h in h1 + h2:
            h.remove()

    tol = default_tolerance(out.dtype)
    tol = {"rtol": tol["rtol"] if rtol is None else rtol, "atol": tol["atol"] if atol is None else atol}
    try:
        torch.testing.assert_close(out, ref_out, **tol)
    except AssertionError as err:
        for name in ours_seen:  # dicts keep insertion order = execution order
            ref_name = pairs[name]
            a, b = ours_seen[name], ref_seen.get(ref_name)
            if b is not None and (a.shape != b.shape or not torch.allclose(a, b, **tol)):
                diff = (a - b).abs().max().item() if a.shape == b.shape else float("nan")
                raise AssertionError(
                    f"outputs differ; first diverging layer: {name} (reference {ref_name}), "
                    f"max abs diff {diff:.3g}"
                ) from err
        raise AssertionError(f"outputs differ, but no mapped layer does:\n{err}") from err

    if not check_grads:
        return
    grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed)).to(out)
    out.backward(grad_out)
    ref_out.backward(grad_out)
    # A mapping function slices or reshapes weights; applied to the reference's
    # gradients it gives the gradient that corresponds to ours.
    ref_grads = {n: p.grad for n, p in reference.named_parameters() if p.grad is not None}
    bad = []
    for ours_name, p in ours.named_parameters():
        source = name_map[ours_name]
        try:
            g_ref = source(ref_grads) if callable(source) else ref_grads[source]
        except KeyError:
            g_ref = None
        if (p.grad is None) != (g_ref is None) or (
            g_ref is not None and not torch.allclose(p.grad, g_ref, **tol)
        ):
            bad.append(ours_name)
    for i, (a, b) in enumerate(zip(ours_in, ref_in, strict=True)):
        if (a.grad is None) != (b.grad is None) or (
            a.grad is not None and not torch.allclose(a.grad, b.grad, **tol)
        ):
            bad.append(f"input {i}")
    if bad:
        raise AssertionError(f"gradients differ for: {', '.join(bad)}")
# --8<-- [end:reference]
