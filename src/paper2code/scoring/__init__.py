"""Rubrics, scorecards and the report: a reproduction graded leaf by leaf.

`rubric` (the tree of gradable leaves, read from YAML), `scorecard` (a rubric
graded by a test run), `paperbench` (PaperBench's ``rubric.json``, import and
export), `pytest_plugin` (links tests to leaves, records and compares
scorecards) and `report` (the ``paper2code report`` command, on top of the
plugin). A tool: it may import `paper2code.statistics` (to judge a result
against the paper's) and needs no torch; it never imports the teaching code, a
case study, `project`, `exercises` or `cli`.
"""
