"""The ``paper2code`` command line.

``paper2code analyze PAPER``
    Phase 1: convert a paper and write its implementation checklist.

``paper2code new NAME [--from ANALYSIS_DIR]``
    Phase 2: create a project for implementing a paper, with tests that pass.

``paper2code report``
    Phases 4 and 6: run the tests linked to the paper's rubric, print the scorecard.

Bad input gets one line on stderr naming the problem and the file, and exit
code 2; nothing is written or overwritten.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paper2code", description="Tools for implementing ML papers from scratch."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = sub.add_parser(
        "analyze",
        help="convert a paper and write its implementation checklist",
        description=(
            "Convert PAPER (.pdf, .html, .docx, .tex, .md, or an arXiv source bundle .tar.gz) "
            "to Markdown and extract its outline: algorithms, definitions, numbered equations, "
            "architecture, hyperparameters and sections. Writes OUTDIR/paper.md (cleaned), "
            "OUTDIR/checklist.md and OUTDIR/rubric.yaml (and OUTDIR/paper.raw.md with --raw)."
        ),
    )
    analyze.add_argument("paper", metavar="PAPER", help="the paper to analyse")
    analyze.add_argument(
        "-o", "--output", metavar="OUTDIR",
        help="folder for the outputs (default: PAPER-STEM-analysis; none with --json alone)",
    )
    analyze.add_argument("--json", action="store_true", help="print the outline as JSON on stdout")
    analyze.add_argument("--force", action="store_true", help="overwrite existing outputs")
    analyze.add_argument(
        "--raw", action="store_true",
        help="also write OUTDIR/paper.raw.md, stock markitdown's conversion (slow for a PDF)",
    )

    new = sub.add_parser(
        "new",
        help="create a paper-implementation project",
        description=(
            "Create a uv project for implementing a paper: pyproject.toml with dependency groups, "
            "a verified .gitignore, src/NAME with a tiny working model, tests, train.py with "
            "small/medium/large configs, a Gradio demo, a quickstart notebook and docs/ALGORITHMS.md."
        ),
    )
    new.add_argument("name", metavar="NAME", help="the Python package name, e.g. lora_repro")
    new.add_argument("--dir", metavar="DIR", help="where to create it (default: ./NAME); must not exist or be empty")
    new.add_argument("--description", default="", help="one line describing the project")
    new.add_argument("--paper", default="", metavar="URL", help="link to the paper")
    new.add_argument(
        "--from", dest="analysis", metavar="ANALYSIS_DIR",
        help="seed the project from `paper2code analyze` output: ALGORITHMS.md, "
        "configs/paper.yaml, rubric.yaml and skipped test stubs",
    )

    report = sub.add_parser(
        "report",
        help="run the tests linked to the paper's rubric and print the scorecard",
        description=(
            "Run pytest in this folder with the paper2code plugin and print, for each leaf "
            "of the rubric, its state (verified, failed, within tolerance, off by how much, "
            "not implemented, deviation, out of scope...) and the totals by kind. "
            "Exit code 1 when a linked test failed, 2 on bad input."
        ),
    )
    report.add_argument("--rubric", metavar="PATH",
                        help="the rubric (default: ./rubric.yaml, or the tests' paper_rubric markers)")
    report.add_argument("--markdown", action="store_true", help="print the scorecard as Markdown")
    report.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARG",
                        help="passed to pytest, e.g. a test file (put -- before options)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "analyze":
            from paper2code.analysis import run_analyze

            return run_analyze(args.paper, args.output, args.json, args.force, args.raw)
        if args.command == "new":
            from paper2code.scaffold import run_new

            return run_new(args.name, args.dir, args.description, args.paper, args.analysis)
        if args.command == "report":
            from paper2code.pytest_plugin import run_report

            return run_report(args.rubric, args.markdown, args.pytest_args)
    except KeyboardInterrupt:
        print("paper2code: interrupted; no output was written", file=sys.stderr)
        return 130
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
