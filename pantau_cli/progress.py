"""A rich progress bar that library functions drive through a ``progress(done, total)`` callback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

ProgressFn = Callable[[int, int], None]


@contextlib.contextmanager
def progress_bar(description: str, *, quiet: bool) -> Iterator[ProgressFn | None]:
    """Yield a progress callback (or None when ``quiet``); the bar goes to stderr."""
    if quiet:
        yield None
        return
    # imported here: every command's start-up would pay for rich.progress (~0.1-0.2 s)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=sys.stderr)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),  # "?" while total is unknown
        TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
