"""``python -m paper2code.figures [NAME ...]``: recompute the quick recordings."""

from paper2code.figures.record import main

main()
