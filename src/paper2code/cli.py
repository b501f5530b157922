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
from dataclasses import dataclass, field

__all__ = ["COMMANDS", "Argument", "Command", "build_parser", "main", "synopsis"]

DESCRIPTION = "Tools for implementing ML papers from scratch."


@dataclass(frozen=True)
class Argument:
    """One argument of a subcommand, as given to ``add_argument``.

    Attributes:
        flags: ``("PAPER",)`` style names of a positional argument are given
            as the destination (``("paper",)``); options as ``("-o", "--output")``.
        help: The one line ``--help`` shows.
        metavar: The placeholder shown for the value, if it takes one.
        options: Other ``add_argument`` keywords (``action``, ``default``).
    """

    flags: tuple[str, ...]
    help: str
    metavar: str | None = None
    options: dict = field(default_factory=dict)

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")

    def spelled(self) -> str:
        """How the argument is written: ``PAPER``, ``-o/--output OUTDIR``, ``--json``."""
        if self.positional:
            name = self.metavar or self.flags[0].upper()
            return f"[{name} ...]" if self.options.get("nargs") == "*" else name
        value = f" {self.metavar}" if self.metavar else ""
        return "/".join(self.flags) + value


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, one-line summary, description and arguments."""

    name: str
    summary: str
    description: str
    arguments: tuple[Argument, ...]


# The command line as data: the parser is built from it, and the reference page
# prints it, so the page shows what the code accepts, word for word, whatever
# way a Python release formats --help.
COMMANDS: tuple[Command, ...] = (
    Command(
        "analyze",
        "convert a paper and write its implementation checklist",
        "Convert PAPER (.pdf, .html, .docx, .tex, .md, or an arXiv source bundle .tar.gz) "
        "to Markdown and extract its outline: algorithms, definitions, numbered equations, "
        "architecture, hyperparameters and sections. Writes OUTDIR/paper.md (cleaned), "
        "OUTDIR/checklist.md and OUTDIR/rubric.yaml (and OUTDIR/paper.raw.md with --raw).",
        (
            Argument(("paper",), "the paper to analyse", metavar="PAPER"),
            Argument(
                ("-o", "--output"),
                "folder for the outputs (default: PAPER-STEM-analysis; none with --json alone)",
                metavar="OUTDIR",
            ),
            Argument(("--json",), "print the outline as JSON on stdout", options={"action": "store_true"}),
            Argument(("--force",), "overwrite existing outputs", options={"action": "store_true"}),
            Argument(
                ("--raw",),
                "also write OUTDIR/paper.raw.md, stock markitdown's conversion (slow for a PDF)",
                options={"action": "store_true"},
            ),
        ),
    ),
    Command(
        "new",
        "create a paper-implementation project",
        "Create a uv project for implementing a paper: pyproject.toml with dependency groups, "
        "a verified .gitignore, src/NAME with a tiny working model, tests, train.py with "
        "small/medium/large configs, a Gradio demo, a quickstart notebook and docs/ALGORITHMS.md.",
        (
            Argument(("name",), "the Python package name, e.g. lora_repro", metavar="NAME"),
            Argument(
                ("--dir",), "where to create it (default: ./NAME); must not exist or be empty",
                metavar="DIR",
            ),
            Argument(("--description",), "one line describing the project", metavar="TEXT",
                     options={"default": ""}),
            Argument(("--paper",), "link to the paper", metavar="URL", options={"default": ""}),
            Argument(
                ("--from",),
                "seed the project from `paper2code analyze` output: ALGORITHMS.md, "
                "configs/paper.yaml, rubric.yaml and skipped test stubs",
                metavar="ANALYSIS_DIR", options={"dest": "analysis"},
            ),
            Argument(
                ("--paper2code",),
                "with --from: where the project installs paper2code from, a version (0.1.0), "
                "a wheel or a folder (default: where this copy was installed from)",
                metavar="SPEC",
            ),
        ),
    ),
    Command(
        "report",
        "run the tests linked to the paper's rubric and print the scorecard",
        "Run pytest in this folder with the paper2code plugin and print, for each leaf "
        "of the rubric, its state (verified, failed, within tolerance, off by how much, "
        "not implemented, deviation, out of scope...) and the totals by kind. "
        "Exit code 1 when a linked test failed, 2 on bad input.",
        (
            Argument(
                ("--rubric",),
                "the rubric (default: ./rubric.yaml, or the tests' paper_rubric markers)",
                metavar="PATH",
            ),
            Argument(("--markdown",), "print the scorecard as Markdown", options={"action": "store_true"}),
            Argument(
                ("pytest_args",),
                "passed to pytest, e.g. a test file (put -- before options)",
                metavar="PYTEST_ARG", options={"nargs": "*"},
            ),
        ),
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``paper2code`` parser, built from :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="paper2code", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command_parser = sub.add_parser(
            command.name, help=command.summary, description=command.description
        )
        for arg in command.arguments:
            extra = {"metavar": arg.metavar} if arg.metavar else {}
            command_parser.add_argument(*arg.flags, help=arg.help, **extra, **arg.options)
    return parser


def synopsis(command: Command) -> str:
    """``paper2code analyze [-o OUTDIR] [--json] [--force] PAPER``: options, then positionals."""
    options = [f"[{a.flags[0]}{' ' + a.metavar if a.metavar else ''}]"
               for a in command.arguments if not a.positional]
    positionals = [a.spelled() for a in command.arguments if a.positional]
    return " ".join(["paper2code", command.name, *options, *positionals])


def _missing(err: ModuleNotFoundError) -> str | None:
    """One line for an optional dependency a command needs and this environment lacks."""
    from paper2code import TORCH_INSTALL

    top = (err.name or "").split(".")[0]
    if top in ("torch", "torchvision"):
        return f"this command needs {top}, which is not installed here: {TORCH_INSTALL}"
    if top in ("pytest", "_pytest"):
        # `report` runs the project's own tests, so it belongs in the project's
        # environment, which has pytest and the project's dependencies.
        return ("pytest is not installed here; run the report in your project's environment: "
                "uv run paper2code report (or pip install pytest)")
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "analyze":
            from paper2code.analysis import run_analyze

            return run_analyze(args.paper, args.output, args.json, args.force, args.raw)
        if args.command == "new":
            from paper2code.scaffold import run_new

            return run_new(args.name, args.dir, args.description, args.paper, args.analysis,
                           args.paper2code)
        if args.command == "report":
            from paper2code.pytest_plugin import run_report

            return run_report(args.rubric, args.markdown, args.pytest_args)
    except KeyboardInterrupt:
        print("paper2code: interrupted; no output was written", file=sys.stderr)
        return 130
    except ModuleNotFoundError as err:
        hint = _missing(err)
        if hint is None:
            raise
        print(f"paper2code {args.command}: error: {hint}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
