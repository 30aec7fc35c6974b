"""Rich progress bars on stderr, shared by training and sweeps.

Example:
    >>> from semcom.train.progress import make_progress
    >>> with make_progress(enabled=False) as p:
    ...     task = p.add_task("work", total=3)
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: The console progress and messages go to (stderr keeps stdout clean for --json).
STDERR = Console(stderr=True)


def make_progress(enabled: bool = True, console: Console | None = None) -> Progress:
    """A progress display with a bar, counts, elapsed / remaining time and a status field."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or STDERR,
        disable=not enabled,
        transient=False,
    )
