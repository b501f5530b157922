"""The ``paper2code`` command line.

``paper2code analyze PAPER``
    Phase 1: convert a paper and write its implementation checklist.

``paper2code new NAME [--from ANALYSIS_DIR]``
    Phase 2: create a project for implementing a paper, with tests that pass.

``paper2code report``
    Phases 4 and 6: run the tests linked to the paper's rubric, print the scorecard.

``paper2code rubric import|export FILE -o OUT``
    Convert a PaperBench ``rubric.json`` to a ``rubric.yaml``, or back.
``paper2code exercise list | start NAME [PATH] | check NAME FILE [--show-case F] [--timeout S] | bugs NAME | solution NAME``
    Exercises: write a building block yourself; the checker names your bug.

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
            nargs = self.options.get("nargs")
            return f"[{name} ...]" if nargs == "*" else f"[{name}]" if nargs == "?" else name
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
        "architecture, hyperparameters and sections. PAPER may be arXiv:ID or an arxiv.org "
        "URL: its LaTeX source and PDF are then fetched (and cached) from arXiv. Writes "
        "OUTDIR/paper.md (cleaned), OUTDIR/checklist.md and OUTDIR/rubric.yaml, a weighted "
        "tree (and OUTDIR/paper.raw.md with --raw).",
        (
            Argument(("paper",), "the paper to analyse: a file, arXiv:ID or an arxiv.org URL", metavar="PAPER"),
            Argument(
                ("-o", "--output"),
                "folder for the outputs (default: PAPER-STEM-analysis or ID-analysis; none with --json alone)",
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
                "seed the project from `paper2code analyze` output (its folder, or a rubric.yaml "
                "file): ALGORITHMS.md, configs/paper.yaml, rubric.yaml and skipped test stubs",
                metavar="ANALYSIS_DIR", options={"dest": "analysis"},
            ),
            Argument(
                ("--paper2code",),
                "with --from: where the project installs paper2code from, a version (0.1.0), "
                "a wheel or a folder (default: where this copy was installed from)",
                metavar="SPEC",
            ),
            Argument(
                ("--torch-cpu",),
                "on Linux, take torch's CPU build from PyTorch's own index (download.pytorch.org), "
                "not PyPI's CUDA build with ~5 GB of nvidia packages: for a machine without a GPU",
                options={"action": "store_true"},
            ),
        ),
    ),
    Command(
        "report",
        "run the tests linked to the paper's rubric and print the scorecard",
        "Run pytest in this folder with the paper2code plugin and print, for each leaf "
        "of the rubric, its state (verified, failed, within tolerance, off by how much, "
        "not implemented, deviation, out of scope...), the totals by kind and PaperBench's "
        "weighted score. Exit code 1 when a linked test failed, 2 on bad input or without pytest.",
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
    Command(
        "exercise",
        "implement a building block yourself; the checker names your bug",
        "ACTION is list (the exercises, their pages and goals), start NAME [PATH] (write a "
        "stub to PATH, default ./NAME.py; never overwrites), check NAME FILE (compare FILE's "
        "implementation with ours on edge cases, gradients and invariants; exit 1 with the "
        "first failing check, what the numbers show and the catalogued bug it matches), bugs NAME "
        "(the catalogue of known bugs) or solution NAME (print our implementation, as its page shows it).",
        (
            Argument(("action",), "list, start, check, bugs or solution", metavar="ACTION",
                     options={"choices": ("list", "start", "check", "bugs", "solution")}),
            Argument(("name",), "the exercise, as `list` names it", metavar="NAME", options={"nargs": "?"}),
            Argument(("path",), "start: where to write the stub; check: the file to check",
                     metavar="PATH", options={"nargs": "?"}),
            Argument(("--show-case",), "check: write the failing case's inputs (and both outputs) to this "
                     ".pt file, to re-run it", metavar="FILE"),
            Argument(("--timeout",), "check: seconds each check may run (default 60)", metavar="S",
                     options={"type": float}),
        ),
    ),
)


RUBRIC_COMMAND = Command(
    "rubric",
    "convert a PaperBench rubric.json to rubric.yaml, or back",
    "import: read PaperBench's rubric.json (id, requirements, weight, sub_tasks, task_category, "
    "finegrained_task_category) and write a rubric.yaml with the same tree, weights and "
    "categories; export: write a rubric.yaml as PaperBench's rubric.json. OUT is never "
    "overwritten without --force.",
    (
        Argument(("action",), "import (JSON to YAML) or export (YAML to JSON)", metavar="ACTION",
                 options={"choices": ["import", "export"]}),
        Argument(("file",), "the rubric to convert", metavar="FILE"),
        Argument(("-o", "--output"), "where to write the converted rubric", metavar="OUT",
                 options={"required": True}),
        Argument(("--force",), "overwrite OUT if it exists", options={"action": "store_true"}),
    ),
)
COMMANDS = (*COMMANDS, RUBRIC_COMMAND)


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
    options = [f"{a.flags[0]}{' ' + a.metavar if a.metavar else ''}" for a in command.arguments
               if not a.positional]
    options = [o if a.options.get("required") else f"[{o}]"
               for o, a in zip(options, [a for a in command.arguments if not a.positional], strict=True)]
    positionals = [a.spelled() for a in command.arguments if a.positional]
    return " ".join(["paper2code", command.name, *options, *positionals])


def _missing(err: ModuleNotFoundError) -> str | None:
    """One line for an optional dependency a command needs and this environment lacks."""
    from paper2code import TORCH_INSTALL

    top = (err.name or "").split(".")[0]
    if top in ("torch", "torchvision"):
        return f"this command needs {top}, which is not installed here: {TORCH_INSTALL}"
    if top in ("pytest", "_pytest"):
        from paper2code.scoring.report import MISSING_PYTEST

        return MISSING_PYTEST
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "analyze":
            from paper2code.analysis import run_analyze

            return run_analyze(args.paper, args.output, args.json, args.force, args.raw)
        if args.command == "new":
            from paper2code.project.scaffold import run_new

            return run_new(args.name, args.dir, args.description, args.paper, args.analysis,
                           args.paper2code, args.torch_cpu)
        if args.command == "report":
            from paper2code.scoring.report import run_report

            return run_report(args.rubric, args.markdown, args.pytest_args)
        if args.command == "rubric":
            from paper2code.scoring.paperbench import run_rubric

            return run_rubric(args.action, args.file, args.output, args.force)
        if args.command == "exercise":
            from paper2code.exercises.command import run_exercise

            return run_exercise(args.action, args.name, args.path, args.show_case, args.timeout)
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
