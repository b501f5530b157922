"""Diagnostics: the tests and the debugging gauntlet that prove an implementation.

`testing` (counts, shapes, gradient checks), `reference` (a port compared with a
reference implementation, layer by layer), `debug` (overfit one
batch, the LR range test, dependency matrices), `ablation` (strip to a core that
works) and `deviations` (the log of where the code departs from the paper).
Teaching code: a reader copies it into their own project. It may import torch,
`paper2code.nn`, `paper2code.models` and the loose building-block modules
(`optim`, `losses`, `data`, …), never a tool (`analysis`, `project`, `scoring`,
`statistics`, `exercises`, `cli`) nor a case study.
"""
