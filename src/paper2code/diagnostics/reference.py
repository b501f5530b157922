"""A port checked against a reference implementation, layer by layer.

What the Testing chapter teaches about reference comparisons, as functions a reader can import:

* [`assert_matches_reference`][paper2code.diagnostics.reference.assert_matches_reference]:
  copy a reference module's weights onto ours through a name map, compare
  outputs and gradients with dtype-aware tolerances, and on failure name the
  first layer whose output diverges;
* [`default_tolerance`][paper2code.diagnostics.reference.default_tolerance]: the
  tolerances it uses by default, those of ``torch.testing.assert_close`` for a dtype.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor, nn

__all__ = ["NameMap", "assert_matches_reference", "default_tolerance"]


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
