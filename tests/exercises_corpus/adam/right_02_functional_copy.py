"""CORRECT: out-of-place tensor arithmetic, state replaced each step, parameter written with copy_."""
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

        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                s = self.state[p]
                t = s.get("t", 0) + 1
                m = b1 * s.get("m", torch.zeros_like(p)) + (1 - b1) * g
                v = b2 * s.get("v", torch.zeros_like(p)) + (1 - b2) * g ** 2
                s["t"], s["m"], s["v"] = t, m, v
                m_hat = m / (1 - b1 ** t)
                v_hat = v / (1 - b2 ** t)
                p.copy_(p - group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"]))
        return loss
