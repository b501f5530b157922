"""CORRECT: torch.optim.Adam's rearrangement: step_size = lr/bc1, denom = sqrt(v)/sqrt(bc2) + eps (algebraically the same formula), tensor step counter."""
r"""Exercise `adam`: Adam's update with bias correction (Kingma & Ba, 2015, Algorithm 1).

For each parameter theta with gradient g (plus weight_decay * theta: L2, as torch.optim.Adam):
    t <- t + 1
    m <- beta1 m + (1 - beta1) g          v <- beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t)             v_hat = v / (1 - beta2^t)
    theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)
m and v start at 0; keep them (and t) in self.state[theta].

Check it with: paper2code exercise check adam THIS_FILE
"""

import torch


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        import math
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"]:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if "step" not in state:
                    state["step"] = torch.tensor(0.0, dtype=torch.float64)
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"].item()
                state["m"].mul_(beta1).add_(grad, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
                bc1 = 1 - beta1 ** t
                bc2 = 1 - beta2 ** t
                denom = (state["v"].sqrt() / math.sqrt(bc2)).add_(group["eps"])
                p.addcdiv_(state["m"], denom, value=-group["lr"] / bc1)
        return loss
