"""A PDF page's characters, read so that the text and the character boxes cannot get out of step.

`page_segments` groups a page's characters into *segments* (runs on one
baseline with no wide gap) with their boxes, font size and weight, for
`paper2code.analysis.pdf`. Each character's code is read box by box
(`_page_codes`): PDFium's one-call page text leaves some glyphs out, and
boxes indexed by its positions fall out of step (``C se S udy``).
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from typing import Any

from paper2code.analysis.layout import Seg

__all__ = ["LOST", "page_segments"]


# TeX's math fonts put Greek letters and relations at codes 0-31, which a PDF
# without a ToUnicode entry for them reports as control characters.
_OML = "ΓΔΘΛΞΠΣΥΦΨΩαβγδϵζηθικλμνξπρστυϕχψωεϑϖϱςφ"  # cmmi: 0-39
_OMS = "−·×∗÷⋄±∓⊕⊖⊗⊘⊙◯∘•≍≡⊆⊇≤≥⪯⪰∼≈⊂⊃≪≫≺≻"  # cmsy: 0-31
LOST = "\ufffd"  # a glyph with no known character


def _glyph(code: int, font: str) -> str:
    font = font.lower()
    if "cmmi" in font or "mathitalic" in font:
        return _OML[code] if code < len(_OML) else LOST
    if "cmsy" in font or "mathsymbol" in font:
        return _OMS[code] if code < len(_OMS) else LOST
    return LOST


_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|medi|\bbx|cmbx|\.b\b|-b\b", re.I)


def _get_text(raw: Any, count: int) -> list[int]:
    """The page's text as ``FPDFText_GetText`` gives it, in one call.

    PDFium leaves some characters out of this string (U+0000 and U+0002
    glyphs, some non-BMP math letters), so it can be shorter than the page's
    list of character boxes: it is used only as a check (see `_page_codes`).
    """
    import pypdfium2.raw as pdfium_c

    buf = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(raw, 0, count, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    return list(buf[:max(written - 1, 0)])


def _char_codes(raw: Any, count: int) -> list[int]:
    """One code per character box, read box by box (``FPDFText_GetUnicode``)."""
    import pypdfium2.raw as pdfium_c

    return [pdfium_c.FPDFText_GetUnicode(raw, k) for k in range(count)]


def _page_codes(raw: Any, count: int, number: int, notes: list[str]) -> list[int]:
    """The code of each character box of page ``number``, index for index.

    Read per character (about 3 µs a character), so that the text and the
    boxes cannot get out of step; where PDFium's one-call text is shorter
    than the boxes, a note says so (that is the page a reader indexing boxes
    by the one-call text would have garbled).
    """
    codes = _char_codes(raw, count)
    text = _get_text(raw, count)
    if len(text) != count:
        notes.append(f"p. {number}: PDFium's page text has {len(text)} characters for {count} "
                     "character boxes (glyphs it leaves out); read box by box")
    for k in range(count - 1):  # a surrogate pair split over two characters: join it
        if 0xD800 <= codes[k] < 0xDC00 and 0xDC00 <= codes[k + 1] < 0xE000:
            codes[k] = 0x10000 + ((codes[k] - 0xD800) << 10) + (codes[k + 1] - 0xDC00)
            codes[k + 1] = 0
    return codes


def page_segments(page: Any, number: int, notes: list[str] | None = None,
                   read: list[str] | None = None) -> list[Seg]:
    """Segments of one page, in the order of the page's content stream.

    ``notes`` receives what went wrong reading the page's text; ``read`` the
    text of every segment, rotated ones too (for `paper2code.analysis.textcheck`).
    """
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    textpage = page.get_textpage()
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    codes = _page_codes(raw, count, number, [] if notes is None else notes)
    rect = pdfium_c.FS_RECTF()
    segs: list[Seg] = []
    cur: Seg | None = None
    first = 0  # index of the current segment's first character
    space = False
    last_x0 = -1.0
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()

    def close() -> None:
        nonlocal cur
        if cur is not None and cur.text.strip():
            if read is not None:
                read.append(cur.text)
            angle = pdfium_c.FPDFText_GetCharAngle(raw, first)
            if min(angle, 6.2832 - angle) < 0.05:  # horizontal text only
                cur.size = pdfium_c.FPDFText_GetFontSize(raw, first)
                pdfium_c.FPDFText_GetFontInfo(raw, first, name, 128, ctypes.byref(flags))
                weight = pdfium_c.FPDFText_GetFontWeight(raw, first)
                cur.bold = weight >= 600 or bool(_BOLD_NAME.search(name.value.decode("latin-1")))
                cur.text = cur.text.strip()
                segs.append(cur)
        cur = None

    getbox = pdfium_c.FPDFText_GetLooseCharBox
    # The open segment's box, kept in locals: this loop runs once per character.
    c_x1 = c_top = c_bottom = c_h = 0.0
    for index, code in enumerate(codes):
        if 32 < code < 127:
            ch = chr(code)
        else:
            ch = chr(code) if code < 0x110000 else "?"
            if 0x1D400 <= code < 0x1D800:  # mathematical italic 𝑥 -> x
                ch = unicodedata.normalize("NFKC", ch)
            elif code == 0xFFFE or code == 2 and pdfium_c.FPDFText_IsHyphen(raw, index):
                ch = "-"  # a hyphen at the end of a line (GetText: U+FFFE, GetUnicode: U+0002)
            elif code == 0 or 0xD800 <= code < 0xF900:
                continue  # surrogate halves, private-use glyph pieces (bracket parts)
            elif code < 32 and ch not in "\r\n\t\x02":
                pdfium_c.FPDFText_GetFontInfo(raw, index, name, 128, ctypes.byref(flags))
                ch = _glyph(code, name.value.decode("latin-1"))
            if ch in "\r\n\x02":
                close()
                space = False
                continue
            if ch.isspace():
                space = True
                continue
        getbox(raw, index, rect)
        x0, x1, top, bottom = rect.left, rect.right, height - rect.top, height - rect.bottom
        h = bottom - top
        if h <= 0:
            continue
        if cur is not None:
            if not space and abs(x0 - last_x0) < 0.01 and x1 <= c_x1 + 0.01:
                cur.text += ch  # a ligature: two letters in one glyph's box
                continue
            mid = (top + bottom) / 2
            gap = x0 - c_x1
            if not (c_top - 0.15 * c_h < mid < c_bottom + 0.15 * c_h) or gap < -0.4 * c_h \
                    or gap > 0.75 * (c_h if c_h > h else h):
                close()
            elif space or gap > 0.12 * (c_h if c_h < h else h):
                cur.text += " "
                cur.words.append([x0, x1])
        last_x0 = x0
        if cur is None:
            cur = Seg(x0, x1, top, bottom, "", page=number, words=[[x0, x1]])
            c_x1, c_top, c_bottom, c_h = x1, top, bottom, h
            first = index
        cur.text += ch
        if x1 > c_x1:
            c_x1 = cur.x1 = x1
        if x1 > cur.words[-1][1]:
            cur.words[-1][1] = x1
        space = False
    close()
    return segs
