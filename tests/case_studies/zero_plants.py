"""Planted bugs in the ZeRO case study, each with the test that must catch it.

Each plant replaces one exact piece of source text (it must occur once) in a
copy of ``src/paper2code``; ``test_zero_plants.py`` runs the named test against
the copy (``PYTHONPATH``, which spawned ranks inherit) and asserts it fails.
"""

from __future__ import annotations

P = "case_studies/zero_parts.py"
D = "case_studies/zero_dp.py"
PLAIN = "tests/case_studies/test_zero.py::"
INTEG = "tests/case_studies/test_zero_integration.py::"
EQUIV = INTEG + "test_every_stage_trains_like_one_process"
HELD = INTEG + "test_each_rank_holds_what_the_formula_says"
LOSS = "loss = ((out - y) ** 2).sum() / (rows * y.shape[1])"

# (name, file under src/paper2code, old text, new text, the test that must fail)
PLANTS = [
    ("sum of the ranks' means instead of the global mean", D, LOSS,
     "loss = ((out - y) ** 2).mean()", EQUIV + "[2]"),
    ("uneven batches weighted equally", D, LOSS,
     "loss = ((out - y) ** 2).mean() / self.comm.world", EQUIV + "[3]"),
    ("reversed shard offsets", P, "return slice(rank * self.shard, (rank + 1) * self.shard)",
     "return slice(self.padded - (rank + 1) * self.shard, self.padded - rank * self.shard)",
     PLAIN + "test_every_element_belongs_to_exactly_one_shard"),
    ("padding at the front", P, "return torch.cat([flat, flat.new_zeros(self.padded - self.psi)])",
     "return torch.cat([flat.new_zeros(self.padded - self.psi), flat])",
     PLAIN + "test_every_element_belongs_to_exactly_one_shard"),
    ("floor instead of ceil", P, "self.shard = -(-self.psi // world)", "self.shard = self.psi // world",
     PLAIN + "test_every_element_belongs_to_exactly_one_shard"),
    ("stage 2 keeps the full gradient between steps", D,
     "        self.grads[i] = self.comm.reduce_scatter(param.grad)\n        param.grad = None",
     "        self.grads[i] = self.comm.reduce_scatter(param.grad)\n"
     "        self.full = [*getattr(self, 'full', [])[-1:], param.grad]\n        param.grad = None",
     PLAIN + "test_one_rank_holds_what_the_formula_says"),
    ("stage 3 keeps the gathered parameters", D,
     "        for name in self.layouts[i].names:\n            setattr(unit, name, None)\n", "",
     PLAIN + "test_one_rank_holds_what_the_formula_says"),
    ("Adam's bias correction one step off", P, "value=-self.lr / (1 - b1**self.t)",
     "value=-self.lr / (1 - b1**(self.t + 1))", PLAIN + "test_shard_adam_is_torch_adam_bitwise"),
    ("all-gather into the wrong slot", P, "            dist.all_gather_single(out, shard)\n",
     "            dist.all_gather_single(out, shard)\n"
     "            out.copy_(out.view(self.world, -1).roll(1, 0).reshape(-1))\n", EQUIV + "[2]"),
    ("elements counted as bytes", P, "return times * t.numel() * t.element_size()",
     "return times * t.numel()", PLAIN + "test_collectives_are_counted_in_bytes"),
    ("stale all-gather: the other ranks' updated shards never arrive", D,
     "if self.stage in (1, 2):  # the updated shards", "if self.stage in ():  # the updated shards",
     EQUIV + "[2]"),
    ("a view instead of a clone for stage 3's shard", D, "working = flat[own].clone() if stage == 3",
     "working = flat[own] if stage == 3", HELD + "[2]"),
    ("no initial broadcast from rank 0", D, "flat = comm.broadcast(layout.flatten(unit))",
     "flat = layout.flatten(unit)", EQUIV + "[2]"),
]
