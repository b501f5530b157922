"""The deviation log: a valid log loads and renders; each kind of bad entry is named."""

from __future__ import annotations

import pytest

from paper2code.diagnostics.deviations import DeviationLogError, load_deviations, to_markdown

GOOD = """
- id: dev-ls
  rubric: hp-label_smoothing
  where: Section 5.4
  paper: "label smoothing of value 0.1"
  kind: ambiguity
  choice: "uniform over all V classes | true class included"
  why: "not stated; the official code does this"
  sources: [official code]
  sensitivity: "not measured"
- id: dev-init
  where: Section 3
  paper: nothing
  kind: deviation
  choice: Xavier-uniform
  why: the paper states no initialisation
  status: settled
"""


def write(tmp_path, text):
    p = tmp_path / "deviations.yaml"
    p.write_text(text)
    return p


def test_a_valid_log_loads_and_renders(tmp_path):
    devs = load_deviations(write(tmp_path, GOOD))
    assert [d.id for d in devs] == ["dev-ls", "dev-init"]
    assert devs[0].rubric == "hp-label_smoothing" and devs[1].status == "settled"
    table = to_markdown(devs).splitlines()
    assert len(table) == 4 and "true class included" in table[2] and "\\|" in table[2]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("  why: the paper states no initialisation\n", ""), "missing why"),
        (lambda t: t.replace("kind: deviation", "kind: guess"), "kind must be one of"),
        (lambda t: t.replace("status: settled", "status: done"), "status must be"),
        (lambda t: t.replace("id: dev-init", "id: dev-ls"), "id used twice"),
        (lambda t: t.replace("paper: nothing", 'paper: ""'), "empty paper"),
        (lambda t: t.replace("status: settled", "owner: me"), "unknown field owner"),
        (lambda t: "a: 1", "expected a list"),
        (lambda t: "- [", "cannot read"),
    ],
)
def test_bad_entries_are_named_in_one_line(tmp_path, edit, message):
    with pytest.raises(DeviationLogError, match=message) as err:
        load_deviations(write(tmp_path, edit(GOOD)))
    assert "\n" not in str(err.value)
