"""Statistics for claims from runs: intervals, paired comparisons, equivalence, families, power.

`intervals` (the mean's and the next run's intervals over seeds, the paired
difference), `paired` (`compare_arms`, TOST `equivalence`), `paper`
(`compare_to_paper`), `signflip` (the exact sign-flip test beside the t
interval), `verdict` (the verdict's words and its assumption warnings),
`family` (Holm over a family of comparisons, conjunctions), `power`
(simulated TOST power, the seeds a run needs), `student_t` (Student's t
without SciPy), and `evaluation`, which gathers them. Pure Python: it
imports nothing else of paper2code, and no torch, so every tool and every
case study can build on it.
"""
