"""Progress of long commands on a terminal: a rich progress bar on stderr, and
nothing at all when stderr is not a terminal (pipes, cron, CI) or with
``$COMPLAINTDESK_NO_PROGRESS`` set."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")



class Bar:
    """How far a long command is: ``advance(n)`` or ``to(done)``."""

    def __init__(self, move: Callable[[int], None] | None = None,
                 resize: Callable[[int], None] | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        self._move = move
        self._resize = resize
        self._say = say
        self.done = 0

    def say(self, line: str) -> None:
        """A line on stderr, above the bar where one is shown (printed past a live
        bar, it would tear it)."""
        if self._say is not None:
            self._say(line)
        else:
            print(line, file=sys.stderr)

    def of(self, total: int) -> None:
        """The total, once known."""
        if self._resize is not None:
            self._resize(total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._move is not None:
            self._move(n)

    def to(self, done: int) -> None:
        self.advance(done - self.done)


def shown(writes_stdout: bool = False) -> bool:
    """On a terminal, unless the command's output goes to the same terminal (the
    bar would be torn by it)."""
    if writes_stdout and sys.stdout.isatty():
        return False
    return sys.stderr.isatty() and not os.environ.get("COMPLAINTDESK_NO_PROGRESS")


@contextmanager
def progress(label: str, total: int | None, unit: str = "条", *,
             writes_stdout: bool = False) -> Iterator[Bar]:
    """``with progress("导出", n) as bar: … bar.advance()`` — a bar while it runs,
    gone when it ends (the command's own summary line follows)."""
    if not shown(writes_stdout):
        yield Bar()
        return
    from rich.console import Console
    from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeElapsedColumn)

    columns = (TextColumn(label), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.completed:,}" + (f"/{total:,}" if total else "") + f" {unit}"),
               TextColumn("已用"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True,
                  redirect_stdout=False, redirect_stderr=False) as bar:
        task = bar.add_task(label, total=total)
        yield Bar(lambda n: bar.advance(task, n), lambda n: bar.update(task, total=n),
                  lambda line: bar.console.print(line, markup=False, highlight=False))


def counted(items: Iterable[T], bar: Bar) -> Iterator[T]:
    """``items``, advancing the bar by one for each."""
    for item in items:
        yield item
        bar.advance()
