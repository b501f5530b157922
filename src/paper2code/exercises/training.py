"""Exercises on training: label-smoothed cross-entropy, Adam, learning-rate schedules."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from paper2code.exercises.common import gen, randn
from paper2code.exercises.engine import Bug, Case, SideEffect, Spec, difference
from paper2code.losses import label_smoothed_cross_entropy
from paper2code.optim import Adam, cosine_with_warmup, transformer_lr

LOSSES = "Losses § Pitfalls"
OPTIM = "Optimisers and schedules § Pitfalls"
ADAM = "Adam § Algorithm 1, line by line"


# --- label smoothing ---------------------------------------------------------------


def _smoothing_cases() -> list[Case]:
    g = gen(8)
    target = torch.randint(0, 5, (6,), generator=g)
    padded = target.clone()
    padded[[1, 4]] = -100
    return [
        Case("6 examples, 5 classes, eps 0.1", (randn(g, 6, 5), target, 0.1)),
        Case("padding targets (-100) ignored", (randn(g, 6, 5), padded, 0.1)),
        Case("eps 0: plain cross-entropy", (randn(g, 6, 5), target, 0.0)),
        Case("one example", (randn(g, 1, 5), target[:1], 0.2)),
        Case("large logits (|z| ~ 1e3)", (randn(g, 6, 5, scale=1e3), target, 0.1)),
        Case("float32", (randn(g, 6, 5, dtype=torch.float32), target, 0.1)),
        Case("ignore_index 255 with 21 classes (segmentation)", (randn(g, 5, 21), torch.tensor([3, 255, 20, 0, 255]), 0.1),
             {"ignore_index": 255}),
    ]


def _smoothed(spread_over_rest=False, divide_by_all=False, log_of_softmax=False, uniform=True, sum_k=False,
              keep_one=False):
    def loss(logits, target, smoothing=0.1, ignore_index=-100):
        n, k = logits.shape
        log_p = torch.softmax(logits, -1).log() if log_of_softmax else torch.log_softmax(logits, -1)
        keep = target != ignore_index
        safe = target.clamp_min(0)
        nll = -log_p.gather(-1, safe[:, None]).squeeze(-1)
        if spread_over_rest:  # eps/(K-1) on each wrong class, none on the true one
            smooth = (-log_p.sum(-1) - nll) / (k - 1)
        else:
            smooth = -log_p.sum(-1) if sum_k else -log_p.mean(-1)
        per = (1 if keep_one else 1 - smoothing) * nll + (smoothing * smooth if uniform else 0.0)
        per = per * keep
        return per.sum() / (n if divide_by_all else keep.sum())

    return loss


SMOOTHING = Spec(
    name="label_smoothing",
    reference=label_smoothed_cross_entropy,
    cases=_smoothing_cases,
    bugs=(
        Bug("eps spread over the K - 1 wrong classes; the paper spreads eps/K over all K", LOSSES,
            _smoothed(spread_over_rest=True)),
        Bug("mean over all N targets, padding included in the denominator", LOSSES, _smoothed(divide_by_all=True)),
        Bug("log(softmax(z)) instead of log_softmax(z): -inf for large logits", LOSSES, _smoothed(log_of_softmax=True)),
        Bug("the eps/K term left out: (1 - eps)·NLL alone", LOSSES, _smoothed(uniform=False)),
        Bug("the uniform term summed over the K classes: eps·Σ_k(-log p_k), the 1/K is missing", LOSSES,
            _smoothed(sum_k=True)),
        Bug("the one-hot part not scaled by 1 - eps: the target sums to 1 + eps", LOSSES, _smoothed(keep_one=True)),
    ),
    grad_cases=("padding targets (-100) ignored",),
    grad_inputs=(0,),
    outputs=("the loss",),
    inputs=("logits", "target", "smoothing"),
    diagnose=lambda c, got, want, d: ["the cases before passed; this one has targets equal to ignore_index outside "
                                      "0..K-1: drop them before indexing (gather/one_hot on 255 fails or reads "
                                      "another row)"] if c.kwargs.get("ignore_index") == 255 else [],
)


# --- Adam ------------------------------------------------------------------------------


def _adam_cases() -> list[Case]:
    return [
        Case("6 steps, defaults", ({},)),
        Case("6 steps, lr 0.1, betas (0.5, 0.9), eps 1e-3", ({"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-3},)),
        Case("6 steps, weight_decay 0.1 (L2, through the gradient)", ({"lr": 0.01, "weight_decay": 0.1},)),
        Case("gradients of 1e-8: eps dominates", ({"lr": 0.01, "eps": 1e-6}, 1e-8)),
        Case("6 steps through step(closure)", ({"lr": 0.05}, 1.0, True)),
    ]


def _run_adam(impl, c: Case) -> list[Tensor]:
    """Six steps on two parameters; the caller's gradients must come back unchanged, the closure be used."""
    options = c.args[0]
    scale = c.args[1] if len(c.args) > 1 else 1.0
    use_closure = len(c.args) > 2 and c.args[2]
    g = gen(9)
    w = randn(g, 3, 4).requires_grad_(True)
    b = randn(g, 4).requires_grad_(True)
    opt = impl([w, b], **options)
    trajectory = []
    for step in range(6):
        opt.zero_grad()
        gw, gb = randn(g, 3, 4, scale=scale) + 0.3 * w.detach(), randn(g, 4, scale=scale)
        if use_closure:
            calls = []

            def closure(gw=gw, gb=gb, calls=calls):
                opt.zero_grad()
                loss = (w * gw).sum() + (b * gb).sum()  # its gradient: gw, gb
                loss.backward()
                calls.append(loss)
                return loss

            returned = opt.step(closure)
            if len(calls) != 1:
                raise SideEffect(f"step(closure) called the closure {len(calls)} times at step {step + 1}; "
                                 "it must call it once (under torch.enable_grad()) and return its loss")
            if not (isinstance(returned, Tensor) and returned.detach().equal(calls[0].detach())):
                raise SideEffect("step(closure) must return the loss the closure returned; it returned "
                                 f"{type(returned).__name__}")
        else:
            w.grad, b.grad = gw.clone(), gb.clone()
            opt.step()
            for name, p, given in (("w", w, gw), ("b", b, gb)):
                if p.grad is None or not torch.equal(p.grad, given):
                    raise SideEffect(f"step() changed {name}.grad (the caller's gradient) at step {step + 1}: "
                                     "add weight decay to a new tensor (g = g + wd * p), not to p.grad in place")
        trajectory += [w.detach().clone(), b.detach().clone()]
    return trajectory


def _adam_hints(case, got, want, diff) -> list[str]:
    g = gen(9)
    w0, b0 = randn(g, 3, 4), randn(g, 4)
    if len(got) == 12 and torch.equal(got[0], w0) and torch.equal(got[1], b0):
        return ["the parameters are unchanged after step(): update them in place (p.add_(...), p.sub_(...) or "
                "p.copy_(...) under torch.no_grad()), not by rebinding a name to a new tensor"]
    if diff.output >= 2 and len(got) == 12:
        first = difference(got[:2], want[:2])
        if first is None:
            return [f"step 1 is right and {_adam_name(diff.output)} is not: something that changes with t "
                    "(the bias corrections 1 - beta^t, the step counter, the moments' decay) is off"]
    return []


def _adam_name(i: int) -> str:
    return f"{'w' if i % 2 == 0 else 'b'} after step {i // 2 + 1}"


def _adam(correct=True, eps_inside=False, square=True, count=True, decoupled=False, ahead=False, swap=False):
    class BuggyAdam(Adam):
        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                lr, (b1, b2), eps, lam = group["lr"], group["betas"], group["eps"], group["weight_decay"]
                b1, b2 = (b2, b1) if swap else (b1, b2)
                for p in group["params"]:
                    g = p.grad
                    if lam and decoupled:
                        p.mul_(1 - lr * lam)
                    elif lam:
                        g = g + lam * p
                    state = self.state[p]
                    if not state:
                        state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                    state["t"] = state["t"] + 1 if count else 1
                    t, m, v = state["t"], state["m"], state["v"]
                    m.mul_(b1).add_(g, alpha=1 - b1)
                    v.mul_(b2).add_(g * g if square else g.abs(), alpha=1 - b2)
                    tc = t + 1 if ahead else t
                    m_hat, v_hat = (m / (1 - b1**tc), v / (1 - b2**tc)) if correct else (m, v)
                    denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
                    p.sub_(lr * m_hat / denom)
            return loss

    return BuggyAdam


ADAM_SPEC = Spec(
    name="adam",
    reference=Adam,
    cases=_adam_cases,
    run=_run_adam,
    bugs=(
        Bug("no bias correction: m and v used without dividing by 1 - beta^t", ADAM, _adam(correct=False)),
        Bug("eps inside the square root: sqrt(v_hat + eps)", ADAM, _adam(eps_inside=True)),
        Bug("the step counter t never advances: bias correction stays at t = 1", ADAM, _adam(count=False)),
        Bug("second moment of |g| instead of g²", ADAM, _adam(square=False)),
        Bug("weight decay applied to the weights (AdamW) where Adam adds it to the gradient", OPTIM,
            _adam(decoupled=True)),
        Bug("bias correction one step ahead: 1 - beta^(t+1)", ADAM, _adam(ahead=True)),
        Bug("beta1 and beta2 swapped: m decays with beta2, v with beta1", ADAM, _adam(swap=True)),
    ),
    outputs=_adam_name,
    diagnose=_adam_hints,
)


# --- schedules ----------------------------------------------------------------------------

TRANSFORMER_LR = Spec(
    name="transformer_lr",
    reference=transformer_lr,
    cases=lambda: [Case(f"step {s}, d_model 512, warm-up 4000", (s,)) for s in (1, 2, 3999, 4000, 4001, 10**5)]
    + [Case("step 10, d_model 64, warm-up 10", (10, 64, 10)), Case("step 1, warm-up 1", (1, 512, 1))],
    bugs=(
        Bug("steps counted from 0: Eq. (3) needs step >= 1 (step + 1 used)", OPTIM,
            lambda s, d=512, w=4000: d**-0.5 * min((s + 1) ** -0.5, (s + 1) * w**-1.5)),
        Bug("d_model^-0.5 factor missing", OPTIM, lambda s, d=512, w=4000: min(s**-0.5, s * w**-1.5)),
        Bug("warmup_steps^-0.5 instead of warmup_steps^-1.5", OPTIM,
            lambda s, d=512, w=4000: d**-0.5 * min(s**-0.5, s * w**-0.5)),
        Bug("max instead of min: the rate never stops growing", OPTIM,
            lambda s, d=512, w=4000: d**-0.5 * max(s**-0.5, s * w**-1.5)),
    ),
)


def _cosine(plus_one=False, over_total=False, clamp=True, floor=True):
    def lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0, warmup_start_factor=0.0):
        if step < warmup_steps:
            s = warmup_start_factor
            return base_lr * (s + (1 - s) * (step + plus_one) / warmup_steps)
        t_max = total_steps if over_total else total_steps - warmup_steps
        t_cur = step if over_total else step - warmup_steps
        if clamp:
            t_cur = min(t_cur, t_max)
        low = min_lr if floor else 0.0
        return low + 0.5 * (base_lr - low) * (1 + math.cos(math.pi * t_cur / t_max))

    return lr


COSINE = Spec(
    name="cosine_warmup",
    reference=cosine_with_warmup,
    cases=lambda: [Case(f"step {s} of 100, warm-up 10", (s, 1.0, 10, 100)) for s in (0, 1, 9, 10, 55, 100, 150)]
    + [Case("min_lr 0.1, step 70", (70, 1.0, 10, 100, 0.1)), Case("start factor 0.1, step 0", (0, 2.0, 4, 20, 0.0, 0.1)),
       Case("warm-up 1, step 5 of 8", (5, 1.0, 1, 8))],
    bugs=(
        Bug("warm-up off by one: (step + 1)/warmup, so step 0 already trains", OPTIM, _cosine(plus_one=True)),
        Bug("cosine over total_steps from step 0, not over the steps after warm-up", OPTIM, _cosine(over_total=True)),
        Bug("no clamp after total_steps: the rate climbs back up", OPTIM, _cosine(clamp=False)),
        Bug("min_lr ignored: decays to 0", OPTIM, _cosine(floor=False)),
    ),
)

SPECS = (SMOOTHING, ADAM_SPEC, TRANSFORMER_LR, COSINE)
