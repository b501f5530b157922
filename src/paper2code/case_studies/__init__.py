"""Case studies: one module per paper, each with a tiny configuration the tests run."""
