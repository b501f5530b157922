"""The site's build hooks, as functions: fast checks with no build and no browser.

tests/test_site.py checks the same behaviour in the built site and in a browser.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HOOKS = Path(__file__).resolve().parent.parent / "docs" / "hooks"


def _hook(name: str):
    spec = importlib.util.spec_from_file_location(f"site_hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


outputs = _hook("outputs")
search = _hook("search")

REPORT = """Intro.

<!-- output: table -->
```python
print(report)
print("done")
#> | Quantity | Paper | Ours |
#> |---|---|---|
#> | loss | 1 | 1.02 |
#> done
```

After.
"""


def test_a_marked_block_shows_its_table_as_markdown_after_the_code():
    out = outputs.render_tables(REPORT)
    code, table = out.split('<div class="p2c-output" markdown>')
    assert "#> done" in code and "#> |" not in code and "<!-- output" not in code
    assert "| Quantity | Paper | Ours |\n|---|---|---|\n| loss | 1 | 1.02 |" in table
    assert out.endswith("</div>\n\nAfter.\n")


def test_an_unmarked_block_is_left_alone():
    text = REPORT.replace("<!-- output: table -->\n", "")
    assert outputs.render_tables(text) == text


def test_an_indented_block_keeps_its_indentation():
    indented = "".join("    " + line if line.strip() else line for line in REPORT.splitlines(True))
    out = outputs.render_tables(indented)
    assert '    <div class="p2c-output" markdown>' in out
    assert "    | loss | 1 | 1.02 |" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- output: table -->\nNo block here.\n", "not followed by a fenced block"),
        ("<!-- output: table -->\n```python\nprint(1)\n#> 1\n```\n", "shows no Markdown table"),
        ("<!-- output: table -->\n```python\nprint(1)\n#> | a |\n#> | b |\n```\n", "shows no Markdown table"),
    ],
)
def test_a_marker_that_cannot_be_honoured_is_an_error(text, message):
    with pytest.raises(outputs.MarkerError, match=message):
        outputs.render_tables(text)


def test_code_and_math_markup_are_kept_out_of_the_search_index():
    html = (
        '<p>prose</p><div class="language-python highlight"><pre>x = 1</pre></div>'
        '<div class="doc-signature highlight"><pre>f(x)</pre></div>'
        '<span class="katex"><span class="katex-mathml">m</span>'
        '<span class="katex-html" aria-hidden="true">m</span></span>'
    )
    out = search.exclude_code_and_math_markup(html)
    assert '<div class="language-python highlight" data-search-exclude>' in out
    assert '<div class="doc-signature highlight" data-search-exclude>' in out
    assert '<span class="katex-html" aria-hidden="true" data-search-exclude>' in out
    assert '<span class="katex-mathml">' in out  # the TeX source stays findable


def test_an_api_pages_source_listing_stays_out_of_the_index_material_builds():
    """Through Material's own search parser: a listing with line numbers nests a <div>
    before its code, so marking the listing's <div> alone let the code into the index."""
    from material.plugins.search.plugin import Parser

    html = ('<h2 id="f">f</h2><p>prose</p><details class="mkdocstrings-source"><summary>Source code in '
            '<code>x.py</code></summary><div class="language-python highlight"><table class="highlighttable">'
            '<tr><td class="linenos"><div class="linenodiv"><pre>1</pre></div></td><td class="code"><div><pre>'
            '<code>def listed_code(): pass</code></pre></div></td></tr></table></div></details>')
    parser = Parser()
    parser.feed(search.exclude_code_and_math_markup(html))
    parser.close()
    indexed = " ".join("".join(section.text) for section in parser.data)
    assert "prose" in indexed and "listed_code" not in indexed and "Source code in" not in indexed


def test_multi_letter_subscripts_are_set_upright():
    katex = _hook("katex")
    assert katex.upright_subscripts(r"d_{model} + x_{i,j} + D_{KL} + a_{2i} + b_k") == (
        r"d_{\mathrm{model}} + x_{i,j} + D_{\mathrm{KL}} + a_{2i} + b_k"
    )


def test_an_api_page_keeps_one_heading():
    reference = _hook("reference")
    assert reference.drop_duplicate_h1("# paper2code.nn.norm\n\n::: paper2code.nn.norm\n") == (
        "::: paper2code.nn.norm\n"
    )
    other = "# The command line\n\n::: paper2code.cli\n"
    assert reference.drop_duplicate_h1(other) == other
