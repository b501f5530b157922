r"""Exercise `adam`: Adam's update with bias correction (Kingma & Ba, 2015, Algorithm 1).

For each parameter theta with gradient g (plus weight_decay * theta: L2, as torch.optim.Adam):
    t <- t + 1
    m <- beta1 m + (1 - beta1) g          v <- beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t)             v_hat = v / (1 - beta2^t)
    theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)
m and v start at 0; keep them (and t) in self.state[theta].

What the checks hold you to: parameters are updated in place (same tensors); p.grad is
left as the caller set it (weight decay goes into a new tensor); step(closure) calls the
closure once, under torch.enable_grad(), and returns its loss (None without a closure);
each parameter has its own t, m, v; float64 parameters keep float64 moments.

Check it with: paper2code exercise check adam THIS_FILE
"""

import torch


class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        raise NotImplementedError("write Adam.step")
