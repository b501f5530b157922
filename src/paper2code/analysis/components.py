r"""The model components a paper names: encoder, attention heads, layer norm, ….

`architecture` finds each component of a fixed vocabulary (the building blocks
of the models this handbook implements) in the text, with how often it is
named and where: the first mention and up to twenty more. A name broken
across two lines (``layer`` / ``normalization``) counts once.
"""

from __future__ import annotations

import re

__all__ = ["architecture"]

_COMPONENTS = {
    "encoder": r"\bencoders?\b",
    "decoder": r"\bdecoders?\b",
    "multi-head attention": r"\bmulti[- ]?head(?:ed)?(?: self)?[- ]attention\b",
    "self-attention": r"\bself[- ]attention\b",
    "cross-attention": r"\b(?:cross|encoder[- ]decoder)[- ]attention\b",
    "attention": r"\battention\b",
    "attention heads": r"\bheads?\b",
    "embedding": r"\bembeddings?\b",
    "positional encoding": r"\bposition(?:al)?[- ](?:encodings?|embeddings?)\b",
    "layer normalisation": r"\blayer[- ]?norm(?:ali[sz]ation)?\b",
    "batch normalisation": r"\bbatch[- ]?norm(?:ali[sz]ation)?\b",
    "RMSNorm": r"\bRMS[- ]?Norm\b",
    "normalisation": r"\bnormali[sz]ation\b",
    "feed-forward network": r"\bfeed[- ]?forward\b|\bFFN\b|\bMLPs?\b",
    "residual connection": r"\bresidual\b|\bskip[- ]connections?\b",
    "convolution": r"\bconv(?:olution(?:al|s)?)?\b",
    "pooling": r"\bpooling\b",
    "linear projection": r"\b(?:linear )?projections?\b",
    "softmax": r"\bsoftmax\b",
    "dropout": r"\bdropout\b",
    "recurrent layer": r"\b(?:LSTMs?|GRUs?|RNNs?|recurrent)\b",
    "gating": r"\bgat(?:e|es|ed|ing)\b",
    "memory": r"\bmemor(?:y|ies)\b",
    "layer": r"\blayers?\b",
    "block": r"\bblocks?\b",
    "module": r"\bmodules?\b",
}
_COMPONENT_RES = {name: re.compile(p, re.IGNORECASE) for name, p in _COMPONENTS.items()}


def architecture(lines: list[str], locate) -> list[dict]:
    """Each component named in ``lines``, with ``mentions``, ``location`` and ``locations``."""
    found = []
    # Each line with the start of the next, so "layer\nnormalization" is one mention.
    joined = [(line, f"{line} {lines[i + 1][:40] if i + 1 < len(lines) else ''}") for i, line in enumerate(lines)]
    for name, pattern in _COMPONENT_RES.items():
        hits = [
            i + 1 for i, (line, both) in enumerate(joined)
            if (m := pattern.search(both)) and m.start() < len(line)
        ]
        if hits:
            found.append({
                "text": name, "mentions": len(hits), "location": locate(hits[0]),
                "locations": [locate(n) for n in hits[:20]],
            })
    return found
