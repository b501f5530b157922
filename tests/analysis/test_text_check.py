"""Text you can trust: a page whose text layer drops characters is found, repaired, and named.

Planted faults on a real development paper (1706.03762, page 3):

* PDFium's one-call page text loses characters (as it does for U+0000/U+0002
  glyphs and non-BMP math letters on real papers): the reader must not depend
  on it (the Markdown is unchanged) and the checklist names the page;
* the per-character read itself is out of step with the boxes (the failure
  that one-call text causes when indexed by box): the second reading
  disagrees, the page is written from the plain text, and the checklist
  names the page.
"""

from __future__ import annotations

import re

import pytest

from paper2code.analysis import analyze, chars
from paper2code.analysis.textcheck import agreement, check_page, fragment_share
from tests.analysis.conftest import PAPERS

PAPER = PAPERS / "1706.03762.pdf"
PAGE = 3
needs_paper = pytest.mark.skipif(not PAPER.is_file(), reason=f"the real papers are not here ({PAPERS} is absent)")


def _page(text: str, number: int) -> str:
    """The Markdown of page ``number`` (between its page marks), without the converter's comments."""
    start = 0 if number == 1 else text.index(f"<!-- page {number} -->")
    end = text.find(f"<!-- page {number + 1} -->")
    return re.sub(r"<!--.*?-->", "", text[start:end if end >= 0 else None])


def _drop_every(codes: list[int], step: int) -> list[int]:
    """Every ``step``-th character lost, the rest moved up (as a shorter text layer indexed by box)."""
    kept = [c for k, c in enumerate(codes) if k % step != step - 1]
    return kept + [0] * (len(codes) - len(kept))


def _on_page(monkeypatch, name: str, fault) -> None:
    """Apply ``fault`` to what ``chars.<name>`` returns for page PAGE only."""
    real, calls = getattr(chars, name), []

    def faulty(raw, count):
        calls.append(1)
        codes = real(raw, count)
        return fault(codes) if len(calls) == PAGE else codes

    monkeypatch.setattr(chars, name, faulty)


def test_the_checks_on_text_alone():
    prose = "The encoder maps an input sequence of symbol representations to a sequence of vectors. " * 6
    garbled = re.sub(r"(\w)\w(\w)", r"\1 \2", prose)  # a letter lost inside words, boxes out of step
    assert fragment_share(prose) < 0.1 < 0.5 < fragment_share(garbled)
    assert agreement(prose, garbled) < 0.8
    assert check_page(prose, prose, 1) == ("boxes", None)
    verdict, note = check_page(garbled, prose, 7)
    assert verdict == "plain" and note.startswith("p. 7: ")


@needs_paper
def test_a_short_text_layer_is_detected_and_does_not_shift_the_boxes(monkeypatch):
    clean = analyze(PAPER)
    _on_page(monkeypatch, "_get_text", lambda codes: [c for k, c in enumerate(codes) if k % 40 != 39])
    faulty = analyze(PAPER)
    notes = [n for n in faulty.outline.text_checks if n.startswith(f"p. {PAGE}: ")]
    assert len(notes) == 1 and "character boxes" in notes[0], faulty.outline.text_checks
    assert f"Page text, p. {PAGE}: " in faulty.checklist
    without_note = "\n".join(line for line in faulty.conversion.text.split("\n") if "text-check" not in line)
    assert re.sub(r"\n+", "\n", without_note) == re.sub(r"\n+", "\n", clean.conversion.text)


@needs_paper
def test_boxes_out_of_step_are_repaired_from_the_plain_text(monkeypatch):
    clean = analyze(PAPER)
    assert not clean.outline.text_checks  # the paper's pages all read right
    _on_page(monkeypatch, "_char_codes", lambda codes: _drop_every(codes, 40))
    faulty = analyze(PAPER)
    notes = [n for n in faulty.outline.text_checks if n.startswith(f"p. {PAGE}: ")]
    assert len(notes) == 1 and "the plain text is used" in notes[0], faulty.outline.text_checks
    assert f"Page text, p. {PAGE}: " in faulty.checklist
    page = _page(faulty.conversion.text, PAGE)
    assert fragment_share(page) < 0.1
    assert agreement(page, _page(clean.conversion.text, PAGE)) > 0.95  # the figure's labels come in too
    for phrase in ("The encoder is composed of a stack of N = 6 identical layers",):
        assert phrase in re.sub(r"\s+", " ", page)
