r"""Exercise `multi_head`: multi-head attention (Vaswani et al., 2017, Section 3.2.2).

MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O, head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V).

forward(query (B, T_q, d_model), key (B, T_k, d_model), value (B, T_k, d_model), mask=None)
returns (B, T_q, d_model). Split each projection into h heads of width
d_k = d_model / h, shape (B, h, T, d_k); attend; merge back to (B, T_q, d_model);
apply W^O. A 3-D mask (B, T_q, T_k) applies to every head; a 4-D mask broadcasts.
Keep the parameter names: the checker loads its weights into them.

Check it with: paper2code exercise check multi_head THIS_FILE
"""

import torch
from torch import nn

from paper2code.nn.attention import scaled_dot_product_attention  # or your own


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, dropout=0.0, bias=True):
        super().__init__()
        self.d_model, self.n_heads, self.d_k = d_model, n_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)  # W^Q for all heads at once
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)  # W^K
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)  # W^V
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)  # W^O

    def forward(self, query, key, value, mask=None):
        raise NotImplementedError("write MultiHeadAttention.forward")
