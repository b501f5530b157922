"""Complete models assembled from the building blocks in ``paper2code.nn``."""
