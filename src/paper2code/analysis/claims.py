r"""What the rubric needs from a paper's prose: its sections' roles, claims, data sets, own names.

`paper2code.analysis.rubric` builds the rubric tree from the outline; this
module reads the paper's text for what the outline does not carry:

* `section_role`: whether a section describes the method, the data, the
  set-up, the experiments, or none of these (introduction, related work…);
* `sentences`: the prose as sentences, each with its line;
* `is_claim`: a sentence an implementer must honour ("we use…", "…must…",
  "multiply by…");
* `datasets`: the data sets the paper trains or evaluates on;
* `own_names`: the names the paper gives its own method, to tell its
  results from the baselines' in a table.

These are rules a careful reader applies, not understanding: a claim leaf is
a sentence to check, and noise is deleted by hand.
"""

from __future__ import annotations

import re

from paper2code.analysis.latex import tex_prose

__all__ = ["datasets", "is_claim", "own_names", "section_role", "sentences"]

_ROLES = (
    ("other", r"abstract|introduction|related work|prior work|conclusions?|discussion|references|bibliography"
              r"|acknowledge?ments?|limitations?|broader impact|future work|societal|contributions"),
    ("data", r"\bdata(?:sets?)?\b|\bcorpus\b|\bcorpora\b|\bbenchmarks?\b"),
    ("setup", r"set-?up|implementation|training|optimi[sz]|regulari[sz]|hyper-?parameters?|details"),
    ("experiment", r"experiment|results?\b|evaluation|ablation|analysis|comparison|empirical|studies"),
)


def section_role(title: str | None) -> str | None:
    """``"other"``, ``"data"``, ``"setup"``, ``"experiment"``, or None (then: the method).

    Examples:
        >>> [section_role(t) for t in ("1 Introduction", "5.1 Training Data and Batching",
        ...                            "3.4 Implementation", "4 Experiments", "3.2 Attention")]
        ['other', 'data', 'setup', 'experiment', None]
    """
    if not title:
        return None
    name = re.sub(r"^[\dA-H.]+\s+", "", title).lower()
    for role, pattern in _ROLES:
        if re.search(pattern, name):
            return role
    return None


_ABBREV = r"(?<!\be\.g)(?<!\bi\.e)(?<!\bet al)(?<!\bFig)(?<!\bEq)(?<!\bSec)(?<!\bvs)(?<!\bresp)(?<!\bcf)(?<!\bapprox)"
_SPLIT = re.compile(rf"{_ABBREV}(?<=[.!?])\s+(?=[A-Z(\[])")


def sentences(text: str) -> list[tuple[int, str]]:
    """The prose of ``text`` (LaTeX source or a converted paper) as ``(line, sentence)``.

    Headings, table rows, display blocks and page marks are left out; a
    sentence's line is the line where it starts (1-based, as in the outline).
    """
    lines = text.split("\n")
    if r"\begin{document}" in text:
        lines = tex_prose(lines)
    out: list[tuple[int, str]] = []
    para: list[tuple[int, str]] = []

    def flush() -> None:
        joined, starts, pos = "", [], 0
        for number, line in para:
            starts.append((pos, number))
            joined += line + " "
            pos = len(joined)
        para.clear()
        offset = 0
        for piece in _SPLIT.split(joined):
            line = max((n for p, n in starts if p <= offset), default=starts[0][1] if starts else 0)
            offset += len(piece) + 1
            piece = " ".join(piece.split())
            if len(piece) >= 20:
                out.append((line, piece))

    for i, raw in enumerate(lines):
        line = raw.replace("\f", "").strip()
        if not line or line.startswith(("#", "|", "<!--", "```")):
            flush()
            continue
        para.append((i + 1, line))
    flush()
    return out


_CLAIM = re.compile(
    r"\bwe (?:use|used|apply|applied|adopt|adopted|employ|employed|initiali[sz]e|initiali[sz]ed|set|add|added"
    r"|multiply|multiplied|scale|scaled|share|replace|replaced|follow|compute|normali[sz]e|perform|performed"
    r"|found it|do not|don't|never|always|only|train with|trained with)\b"
    r"|\b(?:must|should|is required|are required|multipl(?:y|ied) (?:by|them|it)|scaled? by|divided by"
    r"|is set to|are set to|is initiali[sz]ed|are initiali[sz]ed|is computed|are computed"
    r"|crucial|essential|important to|necessary to|instead of|rather than)\b",
    re.IGNORECASE,
)


def is_claim(sentence: str) -> bool:
    """A sentence that tells the implementer what to do (or not to do).

    Examples:
        >>> is_claim("We use h = 8 parallel attention heads."), is_claim("Attention is a function of Q, K, V.")
        (True, False)
        >>> is_claim("The soft-target gradients must be multiplied by T^2.")
        True
    """
    return 30 <= len(sentence) <= 400 and bool(_CLAIM.search(sentence))


_KNOWN_DATA = (
    r"ImageNet(?:-\d+k)?|CIFAR-?10{1,2}|MNIST|Fashion-MNIST|SVHN|CelebA|LSUN|FFHQ|MS[- ]?COCO|COCO|PASCAL VOC"
    r"|WMT ?\d{2,4}|SQuAD|GLUE|SuperGLUE|WikiText-?\d+|Penn Treebank|PTB|C4|The Pile|OpenWebText"
    r"|GSM8K|MATH|CommonsenseQA|StrategyQA|AQuA(?:-RAT)?|SVAMP|HumanEval|MBPP|LAMBADA|HellaSwag|PIQA"
    r"|Atari|MuJoCo|ALE|Go|chess|shogi|CartPole|D4RL|LibriSpeech|Enwik8|text8"
)
_DATA = re.compile(rf"(?<![\w-])({_KNOWN_DATA})(?![\w-])|\b([A-Z][\w-]{{1,30}}) (?:data ?set|corpus|benchmark)\b")
_GENERIC = {"The", "This", "Our", "Each", "A", "An", "Training", "Test", "Validation", "These", "Its", "Their", "In", "On",
            "For", "With", "Same", "New", "Full", "Whole", "Entire", "Large", "Small", "Toy", "Synthetic", "Real"}


def datasets(found: list[tuple[int, str]]) -> list[tuple[str, int, str]]:
    """``(name, line, first sentence)`` of each data set named in ``found`` sentences.

    Examples:
        >>> datasets([(3, "We train on the ImageNet 2012 classification dataset."),
        ...           (9, "Results on CIFAR-10 follow."), (12, "ImageNet again.")])
        [('ImageNet', 3, 'We train on the ImageNet 2012 classification dataset.'), ('CIFAR-10', 9, 'Results on CIFAR-10 follow.')]
    """
    seen: dict[str, tuple[str, int, str]] = {}
    for line, sentence in found:
        for m in _DATA.finditer(sentence):
            name = m.group(1) or m.group(2)
            if name in _GENERIC or (name in ("Go", "chess", "shogi", "MATH", "ALE") and m.group(1) and not
                                    re.search(r"\b(?:games?|dataset|benchmark|train|evaluat)", sentence, re.I)):
                continue
            key = re.sub(r"[\s-]", "", name.lower())
            seen.setdefault(key, (name, line, sentence))
    return list(seen.values())


_STOPWORDS = {"a", "an", "the", "of", "for", "and", "in", "on", "with", "to", "by", "via", "is", "all", "you",
              "need", "from", "at", "as", "learning", "model", "models", "network", "networks", "deep", "neural"}


def own_names(title: str, found: list[tuple[int, str]]) -> list[str]:
    """Names the paper gives its own method: ``ours``, the title's, the acronyms it coins.

    From the title: a one-word name before a colon (``ZeRO: Memory
    Optimizations…``), or the acronym of a capitalised phrase before one
    (``Decayed Memory Attention: …``). From the
    prose: an acronym in parentheses after a phrase that shares a word with
    the title (``deep residual nets (ResNets)`` for *Deep Residual Learning*).

    Examples:
        >>> own_names("Decayed Memory Attention: A Sample Paper", [])
        ['ours', 'our', 'proposed', 'DMA']
        >>> own_names("Deep Residual Learning for Image Recognition",
        ...           [(5, "We evaluate residual nets (ResNets) and plain nets."), (6, "VGG nets (VGG) too.")])
        ['ours', 'our', 'proposed', 'ResNet']
    """
    names = ["ours", "our", "proposed"]
    head = title.split(":")[0].strip()
    if ":" in title and len(head.split()) == 1:
        names.append(head)
    words = re.findall(r"[A-Za-z][\w-]*", head)
    caps = [w for w in words if w[0].isupper() and w.lower() not in _STOPWORDS]
    if ":" in title and len(caps) >= 2 and len(caps) == len([w for w in words if w.lower() not in _STOPWORDS]):
        names.append("".join(w[0] for w in caps))
    title_words = {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]+", title)} - _STOPWORDS
    for _, sentence in found:
        for m in re.finditer(r"((?:[\w-]+\s+){1,4})\(([A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*)\)", sentence):
            before = {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]+", m.group(1))}
            name = m.group(2)[:-1] if m.group(2).endswith("s") and len(m.group(2)) > 3 else m.group(2)
            if before & title_words and name not in names:
                names.append(name)
    return names
