"""CORRECT: vectorised over all params of a group: flatten grads with torch.cat, update flat moments, scatter back with split."""
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

        for gi, group in enumerate(self.param_groups):
            beta1, beta2 = group["betas"]
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            # per-parameter state kept in self.state[p]; the arithmetic is done on a flat view
            for p in params:
                st = self.state[p]
                if not st:
                    st["t"] = 0
                    st["m"] = torch.zeros_like(p)
                    st["v"] = torch.zeros_like(p)
                st["t"] += 1
            ts = torch.cat([torch.full((p.numel(),), float(self.state[p]["t"]), dtype=torch.float64, device=p.device) for p in params])
            dt = torch.promote_types(params[0].dtype, torch.float32)
            if any(p.dtype != params[0].dtype for p in params):
                dt = torch.float64
            g = torch.cat([(p.grad + group["weight_decay"] * p).reshape(-1).to(dt) for p in params])
            theta = torch.cat([p.reshape(-1).to(dt) for p in params])
            m = torch.cat([self.state[p]["m"].reshape(-1).to(dt) for p in params])
            v = torch.cat([self.state[p]["v"].reshape(-1).to(dt) for p in params])
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            bc1 = (1 - torch.pow(torch.tensor(beta1, dtype=torch.float64), ts)).to(dt)
            bc2 = (1 - torch.pow(torch.tensor(beta2, dtype=torch.float64), ts)).to(dt)
            theta = theta - group["lr"] * (m / bc1) / (torch.sqrt(v / bc2) + group["eps"])
            sizes = [p.numel() for p in params]
            for p, th, mm, vv in zip(params, theta.split(sizes), m.split(sizes), v.split(sizes)):
                p.copy_(th.view_as(p))
                self.state[p]["m"].copy_(mm.view_as(p))
                self.state[p]["v"].copy_(vv.view_as(p))
        return loss
