"""Tests of the snippet harness in docs/conftest.py, and the meta-test.

The meta-test counts the Python fences of every page with its own small
CommonMark fence scanner, independent of Sybil's lexer, and checks that each
one is an example the harness runs (or skips with a reason). A fence the
harness silently ignores would otherwise be a page claim that nothing tests.
"""

from __future__ import annotations

import importlib.util
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PYTHON_LANGUAGES = {"python", "py", "pycon"}
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}


def load_harness():
    spec = importlib.util.spec_from_file_location("docs_harness", DOCS / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = load_harness()

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_LANG = re.compile(r"\s*\{?\s*\.?(?P<lang>[\w+-]+)")


def python_fences(text: str, languages: set[str] = PYTHON_LANGUAGES) -> list[tuple[int, int]]:
    """(first line, last line) of each fence in ``languages`` (python/py/pycon), 1-based.

    A fence closes on a line with the same character, at least as many of
    them, and no info string; fences inside a longer fence are content.
    """
    found, open_fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        m = _FENCE.match(line)
        if not m:
            continue
        if open_fence is None:
            lang = _LANG.match(m["info"])
            open_fence = (m["fence"], number, lang["lang"] if lang else "")
        elif (
            m["fence"][0] == open_fence[0][0]
            and len(m["fence"]) >= len(open_fence[0])
            and not m["info"].strip()
        ):
            if open_fence[2] in languages:
                found.append((open_fence[1], number))
            open_fence = None
    return found


def harness_examples(path: Path, evaluator=None) -> list[int]:
    """Lines of the code examples (Python, or those of ``evaluator``) the harness collects."""
    document = harness.sybil.parse(path)
    evaluator = evaluator or harness.evaluate
    return [ex.line for ex in document if ex.region.evaluator is evaluator]


PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize(
    ("languages", "evaluator"),
    [(PYTHON_LANGUAGES, harness.evaluate), (SHELL_LANGUAGES, harness.run_shell)],
    ids=["python", "shell"],
)
def test_every_fence_on_every_page_is_run_or_skipped_with_a_reason(languages, evaluator):
    fences_total, examples_total, missing = 0, 0, []
    for page in PAGES:
        fences = python_fences(page.read_text(encoding="utf-8"), languages)
        lines = harness_examples(page, evaluator)
        fences_total += len(fences)
        examples_total += len(lines)
        for start, end in fences:
            if not any(start <= line <= end for line in lines):
                missing.append(f"{page.relative_to(ROOT)}:{start}")
    assert missing == [], f"fences the harness does not run: {missing}"
    assert fences_total == examples_total
    assert fences_total > 0


def test_the_fence_scanner_itself():
    text = textwrap.dedent(
        """\
        ```python title="a.py"
        x = 1
        ```
        ````markdown
        ```python
        not a page block
        ```
        ````
        === "Tab"

            ```pycon
            >>> 1
            1
            ```
        ```bash
        ls
        ```
        """
    )
    assert python_fences(text) == [(1, 3), (11, 14)]
    assert python_fences(text, SHELL_LANGUAGES) == [(15, 17)]


# --- the harness's own behaviour, on scratch pages ----------------------------------


def run_page(tmp_path: Path, body: str) -> list[Exception | None]:
    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent(body), encoding="utf-8")
    document = harness.sybil.parse(page)
    outcomes = []
    for example in document:
        try:
            example.evaluate()
        except Exception as exc:  # noqa: BLE001 - the outcome is what is tested
            outcomes.append(exc)
        else:
            outcomes.append(None)
    return outcomes


def test_shown_output_must_equal_printed_output(tmp_path):
    good, bad = run_page(
        tmp_path,
        """\
        ```python
        print(1 + 1)
        #> 2
        ```

        ```python
        print(1 + 1)
        #> 3
        ```
        """,
    )
    assert good is None
    assert isinstance(bad, AssertionError) and "differs" in str(bad)


def test_a_block_that_prints_must_show_it(tmp_path):
    (outcome,) = run_page(tmp_path, '```python\nprint("hidden")\n```\n')
    assert isinstance(outcome, AssertionError) and "#> hidden" in str(outcome)


def test_fences_with_attributes_and_indentation_are_run(tmp_path):
    outcomes = run_page(
        tmp_path,
        """\
        ```python title="x.py" hl_lines="1"
        raise RuntimeError("ran")
        ```

        !!! note

            ```py
            raise RuntimeError("ran too")
            ```
        """,
    )
    assert [str(o) for o in outcomes] == ["ran", "ran too"]


def test_pycon_is_a_doctest(tmp_path):
    good, bad = run_page(
        tmp_path,
        """\
        ```pycon
        >>> 2 * 3
        6
        ```

        ```pycon
        >>> 2 * 3
        7
        ```
        """,
    )
    assert good is None
    assert isinstance(bad, AssertionError) and "Expected" in str(bad)


def test_a_skip_without_a_reason_is_refused(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("<!-- skip: next -->\n```python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="has no reason"):
        harness.sybil.parse(page)


def test_a_skip_with_a_reason_skips(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('<!-- skip: next "needs a dataset" -->\n```python\nraise SystemExit\n```\n')
    document = harness.sybil.parse(page)
    with pytest.raises(Exception, match="needs a dataset"):
        for example in document:
            example.evaluate()


def test_included_code_is_expanded_run_and_matched_to_the_module(tmp_path):
    (outcome,) = run_page(
        tmp_path, '```python\n--8<-- "src/paper2code/utils.py:same_device_type"\n```\n'
    )
    assert outcome is None


def test_an_include_of_a_missing_section_fails(tmp_path):
    (outcome,) = run_page(tmp_path, '```python\n--8<-- "src/paper2code/utils.py:nope"\n```\n')
    assert isinstance(outcome, ValueError) and "nope" in str(outcome)


def test_an_include_must_stand_alone(tmp_path):
    (outcome,) = run_page(
        tmp_path, '```python\n--8<-- "src/paper2code/utils.py:get_device"\nx = 1\n```\n'
    )
    assert isinstance(outcome, ValueError) and "only include lines" in str(outcome)


def test_expand_include_matches_the_module_source():
    import inspect

    from paper2code import utils

    _, text = harness.expand_include("src/paper2code/utils.py:get_device")
    assert text.strip() == inspect.getsource(utils.get_device).strip()


def test_output_tolerance_is_declared_visibly_and_still_catches_a_wrong_number(tmp_path):
    close, wrong, undeclared = run_page(
        tmp_path,
        """\
        ```python
        # output tolerance: abs 1e-07
        print(f"difference {6.4e-08:.0e}, steps 500")
        #> difference 7e-08, steps 500
        ```

        ```python
        # output tolerance: abs 1e-07
        print(f"difference {6.4e-08:.0e}, steps 500")
        #> difference 7e-08, steps 501
        ```

        ```python
        print(f"difference {6.4e-08:.0e}")
        #> difference 7e-08
        ```
        """,
    )
    assert close is None
    assert isinstance(wrong, AssertionError)  # 500 vs 501 is outside 1e-07
    assert isinstance(undeclared, AssertionError)  # no tolerance: exact


def test_output_tolerance_compares_the_text_between_numbers_exactly():
    tol = ("rel", 0.01)
    assert harness.lines_match("loss 1.000 -> 0.500", "loss 1.004 -> 0.502", tol)
    assert not harness.lines_match("loss 1.000 -> 0.500", "loss 1.000 -> 0.600", tol)
    assert not harness.lines_match("loss 1.000 -> 0.500", "lost 1.000 -> 0.500", tol)
    assert not harness.lines_match("within: yes", "within: no", tol)
    assert harness.lines_match("12,000 rows", "12,050 rows", tol)


def test_a_bad_tolerance_declaration_is_refused():
    with pytest.raises(ValueError, match="positive"):
        harness.block_tolerance("# output tolerance: abs 0")
    with pytest.raises(ValueError, match="more than once"):
        harness.block_tolerance("# output tolerance: abs 1\n# output tolerance: rel 1\n")


# --- shell blocks ------------------------------------------------------------------


def test_shell_blocks_run_check_status_and_shown_output(tmp_path):
    good, wrong_output, failing, console, console_wrong = run_page(
        tmp_path,
        """\
        ```bash
        echo hello
        #> hello
        ```

        ```bash
        echo hello
        #> goodbye
        ```

        ```sh
        ls /no/such/folder
        echo never reached
        #> never reached
        ```

        ```console
        $ printf 'a\\nb\\n'
        a
        b
        ```

        ```console
        $ echo one
        two
        ```
        """,
    )
    assert good is None and console is None
    assert isinstance(wrong_output, AssertionError) and "goodbye" in str(wrong_output)
    assert isinstance(failing, AssertionError) and "exited with status" in str(failing)
    assert isinstance(console_wrong, AssertionError)


def test_shell_blocks_of_a_page_share_a_temporary_folder_outside_the_repository(tmp_path):
    first, second = run_page(
        tmp_path,
        """\
        ```bash
        echo kept > note.txt
        ```

        ```bash
        cat note.txt
        test "$(pwd)" != "$HANDBOOK"
        #> kept
        ```
        """,
    )
    assert first is None and second is None


def test_shell_blocks_have_no_network(tmp_path):
    code = "import socket; socket.create_connection(('pypi.org', 443), timeout=5)"
    (outcome,) = run_page(tmp_path, f'```bash\npython -c "{code}"\n```\n')
    if not harness._network_isolation():
        pytest.skip("no network namespace on this system: shell blocks run with UV_OFFLINE=1 only")
    assert isinstance(outcome, AssertionError)


def test_an_included_script_is_syntax_checked_not_run(tmp_path):
    good, bad = run_page(tmp_path, '```bash\n--8<-- ".ci/run"\n```\n\n```bash\n--8<-- "README.md"\n```\n')
    assert good is None
    assert isinstance(bad, AssertionError) and "bash -n" in str(bad)
