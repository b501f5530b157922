"""paper2code: example implementations and tools for implementing ML papers from scratch."""

__version__ = "0.1.0"
