"""Exercises on normalisation: LayerNorm, RMSNorm and the residual sub-layer."""

from __future__ import annotations

import torch
from torch import Tensor

from paper2code.exercises.common import build, gen, randn
from paper2code.exercises.engine import Bug, Case, Spec, as_tensors
from paper2code.nn.norm import LayerNorm, Residual, RMSNorm

NORM = "Normalisation and feed-forward § Pitfalls"
NORM_PLACE = "Normalisation and feed-forward § Why the norm's place matters"


# --- LayerNorm and RMSNorm -----------------------------------------------------------


def _norm_cases() -> list[Case]:
    g = gen(5)
    offset = randn(g, 3, 8) + 1e8
    return [
        Case("features", (randn(g, 2, 3, 8, scale=3.0) + 2.0,)),
        Case("small variance (1e-3 scale): eps matters", (randn(g, 2, 8, scale=1e-3),)),
        Case("large offset (1e8 + N(0, 1))", (offset,), tol=_offset_tolerance(offset)),
        Case("one feature", (randn(g, 4, 1),)),
        Case("float32", (randn(g, 2, 8, dtype=torch.float32),)),
        Case("eps 0.1 (not the default)", (randn(g, 2, 8, scale=0.2),), {"eps": 0.1}),
    ]


def _layer_norm_cases() -> list[Case]:
    g = gen(16)
    return _norm_cases() + [Case("bias=False", (randn(g, 2, 3, 8),), {"bias": False})]


def _offset_tolerance(x: Tensor) -> float:
    r"""The tolerance a correct float64 LayerNorm meets on ``x``, derived from its conditioning.

    Any float64 mean of H numbers of size $|x|$ errs by up to $H u |x|$
    ($u = 2^{-53}$), and the centred values $x - \mu$ inherit that error in
    absolute terms; dividing by $\sigma$ makes it $H u |x| / \sigma$ relative to
    the normalised output (condition $|x| / \sigma \approx 10^8$ here). Ten
    times that bound: F.layer_norm, var_mean, a two-pass or Welford loop pass;
    $E[x^2] - E[x]^2$ (error of order 1) fails by a factor of $10^5$.
    """
    h = x.size(-1)
    sigma = x.var(-1, correction=0).sqrt().min().item()
    return 10 * h * 2.0**-53 * x.abs().max().item() / sigma


def _exact_norm(x: Tensor, eps: float, centre: bool) -> Tensor:
    """(x - mu) / sqrt(var + eps) (or x / sqrt(mean x² + eps)) row by row in exact rational arithmetic
    (square root to 40 digits), rounded once to float64: the oracle for the ill-conditioned cases."""
    from decimal import Decimal, localcontext
    from fractions import Fraction

    rows = x.detach().double().reshape(-1, x.size(-1)).tolist()
    out = []
    with localcontext() as ctx:
        ctx.prec = 40
        for row in rows:
            r = [Fraction(v) for v in row]
            mu = sum(r) / len(r) if centre else Fraction(0)
            var = sum((v - mu) ** 2 for v in r) / len(r) + Fraction(eps)
            root = (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()
            out.append([float(Decimal((v - mu).numerator) / Decimal((v - mu).denominator) / root) for v in r])
    return torch.tensor(out, dtype=torch.float64).reshape(x.shape)


def _norm_oracle(reference_cls, centre: bool):
    def oracle(c: Case) -> list[Tensor]:
        x = c.args[0]
        module = build(reference_cls, reference_cls, x.size(-1), dtype=torch.float64, **c.kwargs)
        y = _exact_norm(x, module.eps, centre) * module.weight.detach()
        if getattr(module, "bias", None) is not None:
            y = y + module.bias.detach()
        return [y.to(x.dtype)]

    return oracle


def _run_norm(reference_cls):
    def run(impl, c: Case) -> list[Tensor]:
        x = c.args[0]
        return as_tensors(build(impl, reference_cls, x.size(-1), dtype=x.dtype, **c.kwargs)(x))

    return run


def _norm_hints(case, got, want, diff) -> list[str]:
    if case.kwargs.get("eps"):
        return ["the cases before passed, and this one changes eps only: use self.eps, not a hard-coded 1e-5 or 1e-6"]
    return []


def _bias(module) -> Tensor | float:
    return module.bias if module.bias is not None else 0.0


class _Unbiased(LayerNorm):
    def forward(self, x):
        return (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + self.eps) * self.weight + _bias(self)


class _EpsOutside(LayerNorm):
    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        sigma = (x - mu).pow(2).mean(-1, keepdim=True).sqrt()
        return (x - mu) / (sigma + self.eps) * self.weight + _bias(self)


class _NoEps(LayerNorm):
    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        return (x - mu) / (x - mu).pow(2).mean(-1, keepdim=True).sqrt() * self.weight + _bias(self)


class _MomentFormula(LayerNorm):
    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = x.pow(2).mean(-1, keepdim=True) - mu.pow(2)  # E[x²] - E[x]²: cancels
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight + _bias(self)


class _Detached(LayerNorm):
    def forward(self, x):
        mu = x.mean(-1, keepdim=True).detach()
        var = (x - mu).pow(2).mean(-1, keepdim=True).detach()
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight + _bias(self)


class _BatchAxis(LayerNorm):
    def forward(self, x):
        mu = x.mean(0, keepdim=True)
        var = (x - mu).pow(2).mean(0, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight + _bias(self)


LAYER_NORM = Spec(
    name="layer_norm",
    reference=LayerNorm,
    cases=_layer_norm_cases,
    run=_run_norm(LayerNorm),
    oracle=_norm_oracle(LayerNorm, centre=True),
    outputs=("y",),
    inputs=("x",),
    batch_first=True,
    diagnose=_norm_hints,
    bugs=(
        Bug("unbiased variance (x.var() divides by H - 1; LayerNorm divides by H)", NORM, _Unbiased),
        Bug("eps outside the square root: (x - μ) / (σ + eps)", NORM, _EpsOutside),
        Bug("no eps: divided by the bare standard deviation", NORM, _NoEps),
        Bug("variance as E[x²] - E[x]²: it cancels when the mean is large", NORM, _MomentFormula),
        Bug("mean and variance detached: no gradient flows through the statistics", NORM, _Detached),
        Bug("normalised over the batch axis (dim 0), not the features", NORM, _BatchAxis),
    ),
    grad_cases=("features",),
    grad_inputs=(0,),
)


class _RmsCentred(RMSNorm):
    def forward(self, x):
        x = x - x.mean(-1, keepdim=True)
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class _RmsEpsOutside(RMSNorm):
    def forward(self, x):
        return x / (x.pow(2).mean(-1, keepdim=True).sqrt() + self.eps) * self.weight


class _RmsSum(RMSNorm):
    def forward(self, x):
        return x / torch.sqrt(x.pow(2).sum(-1, keepdim=True) + self.eps) * self.weight


class _RmsNoSqrt(RMSNorm):
    def forward(self, x):
        return x / (x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class _RmsDetached(RMSNorm):
    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps).detach() * self.weight


class _RmsBatchAxis(RMSNorm):
    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(0, keepdim=True) + self.eps) * self.weight


RMS_NORM = Spec(
    name="rms_norm",
    reference=RMSNorm,
    cases=_norm_cases,
    run=_run_norm(RMSNorm),
    oracle=_norm_oracle(RMSNorm, centre=False),
    outputs=("y",),
    inputs=("x",),
    batch_first=True,
    diagnose=_norm_hints,
    bugs=(
        Bug("mean subtracted: RMSNorm rescales, it never recentres", NORM, _RmsCentred),
        Bug("eps outside the square root: x / (RMS(x) + eps)", NORM, _RmsEpsOutside),
        Bug("sum of squares instead of their mean (the 1/H is missing)", NORM, _RmsSum),
        Bug("divided by the mean square, without the square root", NORM, _RmsNoSqrt),
        Bug("the RMS detached (computed without gradient): the gradient through it is lost", NORM, _RmsDetached),
        Bug("normalised over the batch axis (dim 0), not the features", NORM, _RmsBatchAxis),
    ),
    grad_cases=("features",),
    grad_inputs=(0,),
)


# --- the residual sub-layer -------------------------------------------------------------


def _sublayer(d: int):
    w = randn(gen(6), d, d, scale=d**-0.5)
    return lambda h: torch.tanh(h @ w.to(h.dtype))


def _residual_cases() -> list[Case]:
    g = gen(7)
    x = randn(g, 2, 3, 8, scale=2.0)
    return [Case("post-norm (norm_first=False)", (x, False)), Case("pre-norm (norm_first=True)", (x, True)),
            Case("pre-norm, length 1", (x[:, :1], True)), Case("post-norm, float32", (x.float(), False))]


def _run_residual(impl, c: Case) -> list[Tensor]:
    x, norm_first = c.args
    module = build(impl, Residual, x.size(-1), norm_first=norm_first, dtype=x.dtype)
    return as_tensors(module(x, _sublayer(x.size(-1))))


class _PreAddsNormed(Residual):
    def forward(self, x, sublayer):
        if self.norm_first:
            h = self.norm(x)
            return h + sublayer(h)
        return self.norm(x + sublayer(x))


class _PostNormsSublayer(Residual):
    def forward(self, x, sublayer):
        if self.norm_first:
            return x + sublayer(self.norm(x))
        return x + self.norm(sublayer(x))


class _NoResidual(Residual):
    def forward(self, x, sublayer):
        if self.norm_first:
            return sublayer(self.norm(x))
        return self.norm(sublayer(x))


class _Swapped(Residual):
    def forward(self, x, sublayer):
        if not self.norm_first:
            return x + sublayer(self.norm(x))
        return self.norm(x + sublayer(x))


RESIDUAL = Spec(
    name="residual",
    reference=Residual,
    cases=_residual_cases,
    run=_run_residual,
    bugs=(
        Bug("pre-norm adds the normalised input: LN(x) + f(LN(x)) instead of x + f(LN(x))", NORM_PLACE, _PreAddsNormed),
        Bug("post-norm normalises the sublayer only: x + LN(f(x)) instead of LN(x + f(x))", NORM_PLACE,
            _PostNormsSublayer),
        Bug("no residual connection: the input is not added back", NORM_PLACE, _NoResidual),
        Bug("pre-norm and post-norm swapped (norm_first read the wrong way round)", NORM_PLACE, _Swapped),
    ),
)

SPECS = (LAYER_NORM, RMS_NORM, RESIDUAL)
