"""The `rlvr` command line: a thin layer over library functions with plain arguments.

Each command imports its module lazily so `rlvr --help` stays fast and importing the CLI does nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="rlvrlab: RLVR (GRPO) on math with real and spurious rewards.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console()


def fail(message: str) -> None:
    """Print a one-line error and exit 2 (bad input is never a traceback)."""
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


# ---- commands are added below this line, one function (or sub-app) each ----


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
