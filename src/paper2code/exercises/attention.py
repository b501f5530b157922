"""Exercises on attention: scaled dot-product attention, its masks, multi-head split and merge."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from paper2code.exercises.common import F64, build, gen, randn
from paper2code.exercises.engine import Bug, Case, SideEffect, Spec, as_tensors
from paper2code.nn.attention import (
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)

PITFALLS = "Attention § Pitfalls"


# --- scaled dot-product attention ---------------------------------------------


def _attention_cases() -> list[Case]:
    g = gen(0)
    qkv = lambda tq, tk, scale=1.0, dtype=F64, b=(2, 2): (  # noqa: E731
        randn(g, *b, tq, 4, dtype=dtype, scale=scale),
        randn(g, *b, tk, 4, dtype=dtype, scale=scale),
        randn(g, *b, tk, 3, dtype=dtype),
    )
    empty_row = torch.ones(3, 4, dtype=torch.bool)
    empty_row[1] = False
    return [
        Case("no mask", qkv(3, 5)),
        Case("causal mask", (*qkv(5, 5), causal_mask(5))),
        Case("padding mask, lengths 3 and 5", (*qkv(5, 5), padding_mask(torch.tensor([3, 5]), 5))),
        Case("a query whose keys are all masked", (*qkv(3, 4), empty_row)),
        Case("length 1", qkv(1, 1, b=(1, 1))),
        Case("large scores (|q.k| ~ 1e3)", (*qkv(3, 5, scale=30.0), causal_mask(3, 5))),
        Case("float32", qkv(3, 5, dtype=torch.float32)),
        Case("masked keys with dominant scores (a causal mask, future scores ~1e3 above)", _dominant(g)),
        Case("batch 3, one mask per batch element (3, 1, 4, 4)", (*qkv(4, 4, b=(3, 1)), _per_batch_mask(g))),
    ]


def _dominant(g: torch.Generator):
    """Queries and keys whose masked (future) scores exceed the kept ones by ~1e3: a mask applied after the
    softmax sees the kept weights underflow to 0 (the renormalised row is 0/0 or wrong)."""
    t = 4
    q = randn(g, 1, 1, t, 4, scale=0.1)
    k = randn(g, 1, 1, t, 4, scale=0.1)
    q[..., 0] = 40.0
    k[..., 0] = 40.0 * torch.arange(t, dtype=F64)  # key j's score grows with j: the future dominates
    v = randn(g, 1, 1, t, 3)
    return q, k, v, causal_mask(t)


def _per_batch_mask(g: torch.Generator):
    mask = torch.rand((3, 1, 4, 4), generator=g) > 0.4
    mask[..., 0] = True
    return mask


def _variant(dim=-1, scale=math.sqrt, invert=False, fill=float("-inf"), empty_rows=True, stable=True):
    """Our attention with one thing changed: each catalogued bug is one of these."""

    def attention(q, k, v, mask=None):
        scores = q @ k.transpose(-2, -1) / scale(q.size(-1))
        if mask is not None:
            mask = ~mask if invert else mask
            scores = scores.masked_fill(~mask, fill)
            empty = ~mask.any(dim=-1, keepdim=True)
            if empty_rows:
                scores = scores.masked_fill(empty, 0.0)
        if stable:
            weights = torch.softmax(scores, dim=dim)
        else:
            weights = scores.exp() / scores.exp().sum(dim, keepdim=True)
        if mask is not None and empty_rows:
            weights = weights.masked_fill(empty, 0.0)
        return weights @ v, weights

    return attention


def _attention_hints(case, got, want, diff) -> list[str]:
    mask = case.args[3] if len(case.args) > 3 else None
    if mask is None or len(got) != 2 or got[1].shape != want[1].shape or got[1].dtype != want[1].dtype:
        return []
    mask = mask.expand(want[1].shape)
    off = ~torch.isclose(got[1].double(), want[1].double(), rtol=1e-9, atol=1e-12, equal_nan=True)
    empty = ~mask.any(-1, keepdim=True).expand_as(mask)
    hints = []
    if off.any() and not (off & ~empty).any():
        hints.append("only the queries whose keys are all masked are wrong: such a query must get zero "
                     "weights and a zero output (not NaN, not uniform weights over masked keys)")
    elif off.any() and torch.equal(off.any(-1), (off & ~mask).any(-1)) and (got[1].double()[~mask] != 0).any():
        hints.append("your weights are not 0 where the mask is False: masked keys must get exactly zero weight "
                     "(fill their scores with -inf before the softmax)")
    elif "dominant" in case.label:
        hints.append("the masked keys have the largest scores here: a mask applied after the softmax (then "
                     "renormalised) sees the kept weights underflow to 0; mask the scores before the softmax")
    return hints


def _by_dv(q, k, v, mask=None):
    return _variant(scale=lambda d: math.sqrt(v.size(-1)))(q, k, v, mask)


def _after_softmax(renormalise: bool):
    def attention(q, k, v, mask=None):
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), dim=-1)
        if mask is not None:
            w = w * mask
            if renormalise:
                w = w / w.sum(-1, keepdim=True).clamp_min(1e-300)
        return w @ v, w

    return attention


ATTENTION = Spec(
    name="attention",
    reference=lambda q, k, v, mask=None: scaled_dot_product_attention(q, k, v, mask),
    cases=_attention_cases,
    bugs=(
        Bug("softmax over the query axis (dim=-2): each key's weights sum to 1, not each query's", PITFALLS, _variant(dim=-2)),
        Bug("no 1/sqrt(d_k) scale", PITFALLS, _variant(scale=lambda d: 1.0)),
        Bug("scores divided by d_k instead of sqrt(d_k)", PITFALLS, _variant(scale=float)),
        Bug("scores divided by sqrt(d_v) (the values' width) instead of sqrt(d_k)", PITFALLS, _by_dv),
        Bug("mask polarity inverted: True taken as 'blocked'", PITFALLS, _variant(invert=True)),
        Bug("masked scores filled with 0 instead of -inf: masked keys still get weight", PITFALLS, _variant(fill=0.0)),
        Bug("a query whose keys are all masked gives NaN (softmax of a row of -inf)", PITFALLS, _variant(empty_rows=False)),
        Bug("softmax as exp/sum without subtracting the row maximum: it overflows", PITFALLS, _variant(stable=False)),
        Bug("mask applied after the softmax (weights zeroed): the kept weights no longer sum to 1", PITFALLS,
            _after_softmax(renormalise=False)),
        Bug("mask applied after the softmax, then renormalised: wrong when a masked key's score dominates",
            PITFALLS, _after_softmax(renormalise=True)),
        Bug("masked scores filled with a large negative number and no all-masked rule: such a query gets "
            "uniform weights over its masked keys", PITFALLS, _variant(fill=-1e9, empty_rows=False)),
    ),
    run=lambda impl, c: as_tensors(impl(*c.args)),
    grad_cases=("causal mask",),
    grad_inputs=(0, 1, 2),
    outputs=("output", "weights"),
    inputs=("q", "k", "v", "mask"),
    diagnose=_attention_hints,
    batch_first=True,
)


# --- masks ---------------------------------------------------------------------

CAUSAL = Spec(
    name="causal_mask",
    reference=causal_mask,
    cases=lambda: [Case("4 x 4", (4,)), Case("length 1", (1,)), Case("3 queries after 2 cached keys", (3, 5)),
                   Case("6 x 6", (6, 6))],
    outputs=("mask",),
    diagnose=lambda c, got, want, d: ["with keys cached before the queries the mask has t_k columns: "
                                      "shape (t_q, t_k)"] if got and want and got[0].shape != want[0].shape else [],
    bugs=(
        Bug("upper triangle: each query sees the future, not the past", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).triu((tk or tq) - tq)),
        Bug("diagonal hidden: a query may not attend to its own position", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).tril((tk or tq) - tq - 1)),
        Bug("cached keys ignored: tril() without the offset t_k - t_q", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).tril()),
        Bug("a 0/1 float mask, not bool: ~mask and masked_fill need booleans", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq).tril((tk or tq) - tq)),
        Bug("offset with the wrong sign: tril(t_q - t_k) instead of tril(t_k - t_q)", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).tril(tq - (tk or tq))),
        Bug("one key too many: tril(t_k - t_q + 1) lets each query see the next position", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).tril((tk or tq) - tq + 1)),
    ),
)

def _run_padding(impl, c: Case) -> list[Tensor]:
    lengths, t_k = c.args
    out = as_tensors(impl(lengths, t_k))
    if lengths.device.type != "cpu" and out and out[0].device != lengths.device:
        raise SideEffect(f"the mask is on {out[0].device}, the lengths on {lengths.device}: build the positions "
                         "with torch.arange(t_k, device=lengths.device)")
    return [o.cpu() for o in out]


PADDING = Spec(
    name="padding_mask",
    reference=padding_mask,
    cases=lambda: [Case("lengths 2 and 3 of 4", (torch.tensor([2, 3]), 4)),
                   Case("no padding", (torch.tensor([4, 4]), 4)),
                   Case("length 1", (torch.tensor([1]), 1)),
                   Case("lengths 1, 5, 3 of 5", (torch.tensor([1, 5, 3]), 5)),
                   Case("t_k 6 longer than every length", (torch.tensor([2, 4]), 6))]
    + ([Case("lengths on the GPU: the mask must be on lengths' device", (torch.tensor([2, 3], device="cuda"), 4))]
       if torch.cuda.is_available() else []),
    run=_run_padding,
    outputs=("mask",),
    inputs=("lengths", "t_k"),
    bugs=(
        Bug("off by one: position == length kept (<= instead of <)", PITFALLS,
            lambda n, t: (torch.arange(t)[None] <= n[:, None])[:, None, None]),
        Bug("shape (B, T_k): without the axes (B, 1, 1, T_k) it broadcasts against the wrong dimensions",
            PITFALLS, lambda n, t: torch.arange(t)[None] < n[:, None]),
        Bug("polarity inverted: True marks the padding", PITFALLS,
            lambda n, t: (torch.arange(t)[None] >= n[:, None])[:, None, None]),
        Bug("off by one: compared with lengths - 1, the last real token is hidden", PITFALLS,
            lambda n, t: (torch.arange(t)[None] < n[:, None] - 1)[:, None, None]),
    ),
    diagnose=lambda c, got, want, d: ["the mask has t_k key positions (the padded length), not max(lengths)"]
    if got and want and got[0].shape[:-1] == want[0].shape[:-1] and got[0].shape[-1] != want[0].shape[-1] else [],
)


# --- multi-head attention: split and merge -------------------------------------


def _mha_cases() -> list[Case]:
    g = gen(2)
    x, y = randn(g, 2, 5, 8), randn(g, 2, 3, 8)
    lengths = padding_mask(torch.tensor([3, 5]), 5)
    per_query = torch.rand((2, 5, 5), generator=g) > 0.3
    per_query[..., 0] = True
    return [
        Case("self-attention", (x, x, x)),
        Case("cross-attention, 3 queries on 5 keys", (y, x, x)),
        Case("causal mask", (x, x, x, causal_mask(5))),
        Case("3-D mask (B, T_q, T_k) with B = h = 2", (x, x, x, per_query)),
        Case("padding mask (B, 1, 1, T_k)", (x, x, x, lengths)),
        Case("length 1", (x[:1, :1], x[:1, :1], x[:1, :1])),
    ]


def _run_mha(impl, c: Case) -> list[Tensor]:
    module = build(impl, MultiHeadAttention, 8, 2)
    return as_tensors(module(*c.args))


class _SplitWrong(MultiHeadAttention):
    def _split_heads(self, x):
        b, t, _ = x.shape
        return x.reshape(b, self.n_heads, t, self.d_k)  # positions and features mixed


class _MergeWrong(MultiHeadAttention):
    def forward(self, query, key, value, mask=None):
        if mask is not None and mask.dim() == 3:
            mask = mask.unsqueeze(1)
        q, k, v = (self._split_heads(p(x)) for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        out, _ = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(out.reshape(query.size(0), query.size(1), self.d_model))  # no transpose back


class _MaskNoHeadAxis(MultiHeadAttention):
    def forward(self, query, key, value, mask=None):
        q, k, v = (self._split_heads(p(x)) for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        out, _ = scaled_dot_product_attention(q, k, v, mask)  # (B, T_q, T_k) read as (h, T_q, T_k)
        return self.out_proj(out.transpose(1, 2).reshape(query.size(0), query.size(1), self.d_model))


class _NoOutProj(MultiHeadAttention):
    def forward(self, query, key, value, mask=None):
        if mask is not None and mask.dim() == 3:
            mask = mask.unsqueeze(1)
        q, k, v = (self._split_heads(p(x)) for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        out, _ = scaled_dot_product_attention(q, k, v, mask)
        return out.transpose(1, 2).reshape(query.size(0), query.size(1), self.d_model)


MULTI_HEAD = Spec(
    name="multi_head",
    reference=MultiHeadAttention,
    cases=_mha_cases,
    run=_run_mha,
    bugs=(
        Bug("heads split with view(B, h, T, d_k): positions and features are mixed", PITFALLS, _SplitWrong),
        Bug("heads merged with reshape(B, T, d) without transpose(1, 2) first", PITFALLS, _MergeWrong),
        Bug("a 3-D mask (B, T_q, T_k) used without unsqueeze(1): its batch axis meets the head axis",
            PITFALLS, _MaskNoHeadAxis),
        Bug("no output projection W^O after the concatenation", PITFALLS, _NoOutProj),
    ),
)

SPECS = (ATTENTION, CAUSAL, PADDING, MULTI_HEAD)
