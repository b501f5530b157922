"""The reader's own project: ``paper2code new`` and where its code came from.

`scaffold` renders a uv project from `templates/project`; `seed` fills it from
an analysis (``new --from``: the rubric, tests stubbed per leaf); `origin` says
how the generated project installs this same copy of paper2code. A tool: it may
import `paper2code.scoring` and `paper2code.analysis` (and the standard
library, PyYAML), never torch, the teaching code, a case study, `exercises` or
`cli`.
"""
