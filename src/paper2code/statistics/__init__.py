"""Statistics for claims from runs: intervals, paired comparisons, equivalence.

`evaluation` (prediction and confidence intervals over seeds, the paired
comparison, TOST equivalence, `compare_to_paper`) and `student_t` (Student's t
without SciPy). Pure Python: it imports nothing else of paper2code, and no
torch, so every tool and every case study can build on it.
"""
