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

data_app = typer.Typer(help="Inspect data sets: shipped names, local files or hub ids.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("show")
def data_show(
    name: Annotated[str, typer.Argument(help="Shipped name (math500, aime24, ...), local file or hub id.")],
    limit: Annotated[int, typer.Option(help="How many rows to print.")] = 5,
) -> None:
    """Print the first rows of a data set."""
    from rich.table import Table

    from rlvrlab.data import DataError, load_problems

    try:
        problems = load_problems(name, limit=limit)
    except DataError as err:
        fail(str(err))
    table = Table("id", "problem", "answer", "source", show_lines=True)
    for p in problems:
        text = p.problem if len(p.problem) < 300 else p.problem[:300] + "..."
        table.add_row(p.id, text, str(p.answer if p.answer is not None else p.extra.get("label")), p.source)
    console.print(table)


@data_app.command("stats")
def data_stats(name: Annotated[str, typer.Argument(help="Shipped name, local file or hub id.")]) -> None:
    """Row count, sources and answer types of a data set."""
    from rlvrlab.data import DataError, load_problems
    from rlvrlab.data.stats import answer_stats

    try:
        problems = load_problems(name)
    except DataError as err:
        fail(str(err))
    stats = answer_stats(problems)
    console.print(f"[bold]{name}[/]: {stats['rows']} rows")
    for key in ("sources", "answer_types"):
        console.print(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in stats[key].items()))


@data_app.command("list")
def data_list() -> None:
    """Names of the data sets shipped with the package."""
    from rlvrlab.data import shipped_names

    for name in shipped_names():
        console.print(name)



def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
