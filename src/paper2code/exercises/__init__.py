"""Exercises: implement a building block yourself, and let the checker name your bug.

``paper2code exercise list`` shows them; ``start NAME`` writes a stub;
``check NAME FILE`` runs the reader's code and ours on the same inputs (edge
cases, float64 gradients, the invariants the page teaches) and, when a check
fails, names the catalogued bug whose outputs equal the reader's;
``solution NAME`` prints our implementation as its page shows it.

The catalogue (:mod:`paper2code.exercises.catalog`) imports no torch; the
checks (:mod:`~paper2code.exercises.engine` and one module per topic) do.
"""
