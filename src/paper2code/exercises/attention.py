"""Exercises on attention: scaled dot-product attention, its masks, multi-head split and merge."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from paper2code.exercises.common import F64, build, gen, randn
from paper2code.exercises.engine import Bug, Case, Spec, as_tensors
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
    ]


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


ATTENTION = Spec(
    name="attention",
    reference=lambda q, k, v, mask=None: scaled_dot_product_attention(q, k, v, mask),
    cases=_attention_cases,
    bugs=(
        Bug("softmax over the query axis (dim=-2): each key's weights sum to 1, not each query's", PITFALLS, _variant(dim=-2)),
        Bug("no 1/sqrt(d_k) scale", PITFALLS, _variant(scale=lambda d: 1.0)),
        Bug("scores divided by d_k instead of sqrt(d_k)", PITFALLS, _variant(scale=float)),
        Bug("mask polarity inverted: True taken as 'blocked'", PITFALLS, _variant(invert=True)),
        Bug("masked scores filled with 0 instead of -inf: masked keys still get weight", PITFALLS, _variant(fill=0.0)),
        Bug("a query whose keys are all masked gives NaN (softmax of a row of -inf)", PITFALLS, _variant(empty_rows=False)),
        Bug("softmax as exp/sum without subtracting the row maximum: it overflows", PITFALLS, _variant(stable=False)),
    ),
    run=lambda impl, c: as_tensors(impl(*c.args)),
    grad_cases=("causal mask",),
    grad_inputs=(0, 1, 2),
)


# --- masks ---------------------------------------------------------------------

CAUSAL = Spec(
    name="causal_mask",
    reference=causal_mask,
    cases=lambda: [Case("4 x 4", (4,)), Case("length 1", (1,)), Case("3 queries after 2 cached keys", (3, 5)),
                   Case("6 x 6", (6, 6))],
    bugs=(
        Bug("upper triangle: each query sees the future, not the past", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).triu((tk or tq) - tq)),
        Bug("diagonal hidden: a query may not attend to its own position", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).tril((tk or tq) - tq - 1)),
        Bug("cached keys ignored: tril() without the offset t_k - t_q", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq, dtype=torch.bool).tril()),
        Bug("a 0/1 float mask, not bool: ~mask and masked_fill need booleans", PITFALLS,
            lambda tq, tk=None: torch.ones(tq, tk or tq).tril((tk or tq) - tq)),
    ),
)

PADDING = Spec(
    name="padding_mask",
    reference=padding_mask,
    cases=lambda: [Case("lengths 2 and 3 of 4", (torch.tensor([2, 3]), 4)),
                   Case("no padding", (torch.tensor([4, 4]), 4)),
                   Case("length 1", (torch.tensor([1]), 1)),
                   Case("lengths 1, 5, 3 of 5", (torch.tensor([1, 5, 3]), 5))],
    bugs=(
        Bug("off by one: position == length kept (<= instead of <)", PITFALLS,
            lambda n, t: (torch.arange(t)[None] <= n[:, None])[:, None, None]),
        Bug("shape (B, T_k): without the axes (B, 1, 1, T_k) it broadcasts against the wrong dimensions",
            PITFALLS, lambda n, t: torch.arange(t)[None] < n[:, None]),
        Bug("polarity inverted: True marks the padding", PITFALLS,
            lambda n, t: (torch.arange(t)[None] >= n[:, None])[:, None, None]),
    ),
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
