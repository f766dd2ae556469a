"""A table that fetches only the rows on screen.

Textual's DataTable took 30 s to first paint 100,000 rows here; this widget asks
a row source for one page at a time, in a thread worker, and keeps a few pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil
from typing import Any, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import on, work
from textual.events import Mount
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from complaintdesk.domain.errors import StoreError
from complaintdesk.domain.queue import ViewEffect

PAGE_SIZE = 100
MAX_PAGES = 12
RETRY_SECONDS = 5.0  # how often a table whose read failed reads again


@dataclass(frozen=True)
class Column:
    title: str
    width: int  # cells; 0 = take the remaining width
    hide_below: int = 0  # hidden when the table is narrower than this


@dataclass(frozen=True)
class TableRow:
    """One row as shown: plain cell texts (never markup) and a style tag."""

    key: str
    cells: tuple[str, ...]
    tag: str = ""  # a component-class suffix, e.g. "overdue"
    data: object = field(default=None, compare=False)  # what the source made it from


class RowSource(Protocol):
    """Where rows come from. Called from worker threads, never the UI thread."""

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> list[TableRow]: ...

    def index_of(self, key: str) -> int | None:
        """Position of the row with ``key`` in the current order, if present."""
        ...


class FollowingSource(RowSource, Protocol):
    """A source that can say what others' changes do to the rows read, so a table
    need not read them all again (``VirtualTable.follow_changes``). ``changes``
    is whatever the screen was given; the table only passes it on."""

    def judge(self, changes: Any, start: int, rows: list[TableRow],
              total: int) -> ViewEffect | None:
        """The effect, if it can be told without the database (on the UI thread)."""
        ...

    def assess(self, changes: Any, start: int, rows: list[TableRow], total: int) -> ViewEffect:
        """The effect, asking the database (in a worker thread)."""
        ...

    def leaves(self, changes: Any, start: int, rows: tuple[TableRow, ...], total: int) -> bool:
        """Whether the changes leave the rows read as they are, adding at most to
        the count past them (no database, nothing changed: in any thread)."""
        ...

    def recount(self, keep_until: int) -> int:
        """Count again, the rows before ``keep_until`` still where they were."""
        ...

    def table_rows(self, rows: tuple) -> list[TableRow]:  # type: ignore[type-arg]
        """A splice's rows (``ViewEffect.spliced``) as table rows."""
        ...

    def restyle(self, rows: list[TableRow]) -> list[TableRow]:
        """The rows again as the clock now shows them (one reading of it), from
        their data."""
        ...


def layout(columns: list[Column], width: int) -> list[int]:
    """Column widths for ``width`` cells, one space between shown columns; 0 = hidden."""
    shown = [c for c in columns if width >= c.hide_below]
    fixed = sum(c.width for c in shown if c.width) + len(shown) - 1
    flexible = [c for c in shown if not c.width]
    rest = max(width - fixed, 0)
    share = rest // len(flexible) if flexible else 0
    return [0 if c not in shown else (c.width or max(share, 4)) for c in columns]


def thumb_cells(track: int, virtual: int, window: int, position: float) -> tuple[int, int]:
    """Where a vertical scrollbar's thumb is drawn on a ``track`` cells high, in
    eighths of a cell from the top: its start and end, as Textual's
    ``ScrollBarRender.render_bar`` places it."""
    if not (window and track and virtual) or track == virtual or window >= virtual:
        return (0, 0)
    thumb = max(1.0, window / (virtual / track))
    start = int((track - thumb) * (position / (virtual - window)) * 8)
    return start, start + ceil(thumb * 8)


ELLIPSIS = ".."  # ASCII: "…" is East-Asian ambiguous, two cells in many CJK terminals


def fit(text: str, width: int) -> str:
    """One line of exactly ``width`` cells; long text ends with ``..``."""
    text = text.replace("\n", " ").replace("\t", " ")
    if cell_len(text) > width:
        if width <= len(ELLIPSIS):
            return set_cell_size(text, width)
        return set_cell_size(text, width - len(ELLIPSIS)) + ELLIPSIS
    return set_cell_size(text, width)


def render_cells(cells: tuple[str, ...] | list[str], widths: list[int], style: Style,
                 total: int) -> Strip:
    segments = []
    for cell, width in zip(cells, widths):
        if not width:
            continue
        if segments:
            segments.append(Segment(" ", style))
        segments.append(Segment(fit(cell, width), style))
    return Strip(segments).adjust_cell_length(total, style)


class TableHeader(Widget):
    """The column titles above a VirtualTable."""

    DEFAULT_CSS = "TableHeader { height: 1; }"

    def __init__(self, columns: list[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = columns
        #: The width the table below lays its rows out in (its scrollbar takes the
        #: rest): the titles use the same, so every column stays under its title.
        self.rows_width: int | None = None

    def follow(self, rows_width: int) -> None:
        if rows_width != self.rows_width:
            self.rows_width = rows_width
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y:
            return Strip.blank(width, self.rich_style)
        rows = min(self.rows_width or width, width)
        return render_cells([c.title for c in self.columns], layout(self.columns, rows),
                            self.rich_style, width)


class HiddenColumns(Static):
    """Under a VirtualTable: the columns too wide for the screen, with the highlighted
    row's values (``处理方式：退货 · 损失金额：¥120.00``), so what the table drops
    whole is still there to read. Shown only while some column is dropped."""

    DEFAULT_CSS = """
    HiddenColumns { height: auto; max-height: 3; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, columns: list[Column], *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.columns = columns
        self.display = False
        self._shown: tuple | None = None

    def follow(self, widths: list[int], row: TableRow | None) -> None:
        hidden = [i for i, w in enumerate(widths) if not w]
        pairs = tuple((self.columns[i].title, row.cells[i] if row and i < len(row.cells) else "")
                      for i in hidden)
        if pairs == self._shown:
            return
        self._shown = pairs
        self.display = bool(pairs)
        if pairs:
            text = "  ".join(f"{title}：{cell.replace(chr(10), ' ') or '—'}" for title, cell in pairs)
            self.update(Content(f"未显示的列 ▸ {text}"))  # customer text: never markup


@dataclass(frozen=True)
class StillView:
    """What a table had read, and its count, at a moment since which nothing in
    it has moved (``VirtualTable.still``)."""

    source: RowSource
    start: int
    rows: tuple[TableRow, ...]
    total: int


class VirtualTable(ScrollView, can_focus=True):
    """Rows from a RowSource, fetched a page at a time as they scroll into view."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "上移", show=False),
        Binding("down", "cursor(1)", "下移", show=False),
        Binding("pageup", "page(-1)", "上一页", show=False),
        Binding("pagedown", "page(1)", "下一页", show=False),
        Binding("home", "jump(0)", "第一行", show=False),
        Binding("end", "jump(-1)", "最后一行", show=False),
        Binding("enter", "select", "打开", show=False),
    ]

    COMPONENT_CLASSES = {
        "virtual-table--cursor",
        "virtual-table--loading",
        "virtual-table--overdue",
        "virtual-table--at-risk",
        "virtual-table--urgent",
    }

    cursor_row: reactive[int] = reactive(0)
    # No repaint of its own: a load repaints when its rows are in, and a new count
    # alone (another console's complaint past the rows read) changes only the
    # scrollbar and the count line.
    row_count: reactive[int] = reactive(0, repaint=False)

    class Selected(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Loaded(Message):
        """The row count is known after a (re)load. The count as others' changes
        move it (a complaint registered past the rows read) goes only to the
        ``counted`` callback: this message crosses every container up to the App,
        each with its own queue, and those four dispatches were a fifth of a
        console's work when another console registered a complaint."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, columns: list[Column], source: RowSource, *, id: str | None = None,
                 counted: Callable[[int], None] | None = None) -> None:
        """``counted`` is told the row count after each (re)load and each change of it
        (the screen's line of how many there are)."""
        super().__init__(id=id)
        self._told_count = counted
        self.columns = columns
        self.source = source
        # page -> (generation fetched in, rows); older generations are shown until
        # the fresh page arrives, so a live reload never flickers.
        self._pages: dict[int, tuple[int, list[TableRow]]] = {}
        self._pending: set[int] = set()
        self._generation = 0
        #: Pages whose rows show an earlier minute's clock: restyled when next shown
        #: (``restyle`` does only the rows on the terminal). A page dropped may stay
        #: in it; a page read again leaves it.
        self._restyle_due: set[int] = set()
        self._landing: str | None = None  # the row a reload under way puts the cursor on
        #: The rows read and the count when the table last followed others'
        #: changes, while nothing in it has moved since (a load, a scroll, a
        #: resize): another thread may judge changes against it (``can_wait``).
        #: None: something moved since, or it was never settled.
        self.still: StillView | None = None
        #: How far the desk's changes went (its newest audit event) at the end of
        #: the latest read of what the table keeps, rows or the count.
        self._read_upto = 0
        #: A read failed and is tried again every RETRY_SECONDS (the database
        #: server gone, a lock held too long): said once, and once when it reads.
        self._failing = False
        self._retry: Timer | None = None

    # ------------------------------------------------------------ loading
    def reload(self, source: RowSource | None = None, keep_key: str | None = None) -> None:
        """Count again and drop cached pages; the cursor stays on ``keep_key`` if given."""
        if source is not None:
            self.source = source
        self._generation += 1
        self._landing = keep_key
        self.still = None
        self._count(self._generation, keep_key)

    def reload_in_place(self) -> None:
        """Count and read again (someone changed the data), the cursor kept on its row,
        or on the row a reload still under way is taking it to: a console's own save
        is seen by its change watcher too, and that reload must not undo the jump to
        the complaint just registered."""
        self.reload(keep_key=self._landing if self._landing is not None else self.cursor_key)

    def loaded_rows(self) -> tuple[int, list[TableRow]]:
        """The rows of this load read around the top of the view, in order, with the
        index of the first (the run of current pages that holds the top)."""
        def current(page: int) -> bool:
            cached = self._pages.get(page)
            return cached is not None and cached[0] == self._generation

        top = round(self.scroll_offset.y) // PAGE_SIZE
        if not current(top):
            return top * PAGE_SIZE, []
        first, last = top, top
        while first > 0 and current(first - 1):
            first -= 1
        while current(last + 1):
            last += 1
        rows: list[TableRow] = []
        for page in range(first, last + 1):
            rows += self._pages[page][1]
        return first * PAGE_SIZE, rows

    def keys_read(self) -> set[str] | None:
        """The keys of all the rows, if every row has been read in this load."""
        start, rows = self.loaded_rows()
        if start != 0 or len(rows) < self.row_count:
            return None
        return {row.key for row in rows}

    def follow_changes(self, changes: Any) -> None:
        """Others committed ``changes`` (passed to the source): read again only if
        they move the rows read; else at most count again. A source that cannot
        judge (or a load under way) means a reload in place, and so do rows or a
        count read when the desk had events past those before the changes
        (``changes.after_event``; a reload while the change follower held them,
        or between a commit and the follower's look): they may hold them already."""
        source = self.source
        if not hasattr(source, "judge") or self._landing is not None:
            self.reload_in_place()
            return
        start, rows = self.loaded_rows()
        effect = source.judge(changes, start, rows, self.row_count)
        if effect is not None and effect.nothing:
            self._settle()
            return
        after = getattr(changes, "after_event", None)
        if after is not None and self._read_upto > after:
            self.reload_in_place()
            return
        if effect is None or (effect.recount and not effect.reload):
            self.still = None  # the rows read or the count are about to change
            self._assess(self._generation, source, changes, start, rows, self.row_count, effect)
        else:
            self._take(self._generation, start + len(rows), effect)

    # A description of its own: Textual's default is the repr of every argument,
    # a page of rows.
    @work(thread=True, group="table-changes", exit_on_error=False, description="follow changes")
    def _assess(self, generation: int, source: FollowingSource, changes: Any, start: int,
                rows: list[TableRow], total: int, effect: ViewEffect | None) -> None:
        if effect is None:
            effect = source.assess(changes, start, rows, total)
        end = start + len(rows)
        count = source.recount(end) if effect.recount and not effect.reload else None
        upto = self._position(source) if count is not None else None
        spliced = source.table_rows(effect.spliced) if effect.spliced is not None else None
        self.app.call_from_thread(self._take, generation, end, effect, count, spliced, upto)

    def _take(self, generation: int, end: int, effect: ViewEffect, count: int | None = None,
              spliced: list[TableRow] | None = None, upto: int | None = None) -> None:
        if generation != self._generation:
            return
        self._read(upto)
        if effect.nothing:
            self._settle()
            return
        if spliced is not None and effect.count is not None:
            self._splice(spliced, effect.count)
        elif effect.reload:
            self.reload_in_place()
        else:
            self._recounted(generation, end, count, effect.added)

    def _splice(self, rows: list[TableRow], count: int) -> None:
        """The rows from the top are ``rows`` now, of ``count``: the pages they fill
        replace those read, the cursor stays on its row (or, gone past them, the
        table reads again)."""
        self.still = None
        key = self._landing if self._landing is not None else self.cursor_key
        keys = [row.key for row in rows]
        if key is not None and key not in keys:
            self.reload_in_place()
            return
        self._pages = {page // PAGE_SIZE: (self._generation, rows[page:page + PAGE_SIZE])
                       for page in range(0, len(rows), PAGE_SIZE)}
        self._restyle_due.clear()
        if self.row_count != count:
            self.row_count = count
            self._resize_rows(count)
        if key is not None:
            self.cursor_row = keys.index(key)
        elif self.cursor_row >= count:
            self.cursor_row = max(count - 1, 0)
        self.refresh()
        self._tell_count(count)
        self._settle()

    def _recounted(self, generation: int, end: int, count: int | None, added: int) -> None:
        """The rows before ``end`` stay; the count is ``count``, or ``added`` more.
        Pages past ``end`` are dropped: their rows may have shifted."""
        if generation != self._generation:
            return
        self.still = None
        for page in [p for p in self._pages if p * PAGE_SIZE >= end]:
            del self._pages[page]
        if round(self.scroll_offset.y) + self.size.height > end:
            self.refresh()  # rows past those kept are on the terminal: read again
        count = self.row_count + added if count is None else count
        if count != self.row_count:
            self.row_count = count
            self._resize_rows(count)
            if self.cursor_row >= count:
                self.cursor_row = max(count - 1, 0)
            self._tell_count(count)
        self._settle()

    def _settle(self) -> None:
        """Note the rows read and the count as they are (``still``), when every row
        on the terminal is among them and nothing is being read. (Rows read after
        a commit not yet followed hold what it changed: judged against them, that
        commit reads again, as it would have.)"""
        start, rows = self.loaded_rows()
        top = round(self.scroll_offset.y)
        if self._landing is not None or self._pending or not rows \
                or start > top or top + self.size.height > start + len(rows) < self.row_count:
            self.still = None
            return
        self.still = StillView(self.source, start, tuple(rows), self.row_count)

    def can_wait(self, changes: Any) -> bool:
        """Whether others' ``changes`` leave what the table shows as it is but for
        its count, judged against what it had read when it last settled; asked
        in the change follower's thread, so it reads only ``still`` (replaced
        whole, never changed) and the source's pure judgement."""
        still = self.still
        if still is None:
            return False
        leaves = getattr(still.source, "leaves", None)
        return leaves is not None and still.source is self.source \
            and bool(leaves(changes, still.start, still.rows, still.total))

    def _tell_count(self, count: int) -> None:
        if self._told_count is not None:
            self._told_count(count)

    def _resize_rows(self, count: int) -> None:
        """A new row count for the scrollbar. Setting ``virtual_size`` lays the whole
        screen out again and repaints the table (most of a console's work when
        another console registers a complaint); when the scrollbar stays as shown
        or hidden as it was, only the scrollbar is updated, as Textual does
        after a resize (``Widget._scroll_update``), and not even that when its
        thumb stays in the same eighths of a cell (one more row of thousands)."""
        size = Size(self.size.width, count)
        height = self.scrollable_content_region.height
        if (count > height) != (self.virtual_size.height > height):
            self.virtual_size = size  # the scrollbar appears or goes: a layout
            return
        self.set_reactive(VirtualTable.virtual_size, size)
        bar = self.vertical_scrollbar if self.show_vertical_scrollbar else None
        if bar is not None and bar.window_size == height and count > height \
                and thumb_cells(bar.size.height, bar.window_virtual_size, height, bar.position) \
                == thumb_cells(bar.size.height, count, height, bar.position):
            # The thumb is drawn in the same eighths of a cell: nothing to repaint.
            bar.set_reactive(ScrollBar.window_virtual_size, count)
            self.scroll_y = self.validate_scroll_y(self.scroll_y)
            return
        self._scroll_update(size)

    def restyle(self) -> None:
        """Show the rows read as the clock now has them (countdowns, colours),
        without reading them again: the pages on the terminal now, repainted only
        if a row shows something else; the other pages read when next shown (with
        a few hundred rows read, restyling them all every minute in every console
        was most of an idle console's work)."""
        if getattr(self.source, "restyle", None) is None:
            self.reload_in_place()
            return
        self._restyle_due = set(self._pages)
        top = round(self.scroll_offset.y)
        shown = range(top, top + max(self.size.height, 1))
        before = [self._cached_row(index) for index in shown]
        for page in {index // PAGE_SIZE for index in shown}:
            self._restyle_page(page)
        if [self._cached_row(index) for index in shown] != before:
            self.refresh()

    def _keep_page(self, page: int, generation: int, rows: list[TableRow]) -> None:
        """Rows just read, as the clock has them now."""
        self.still = None
        self._pages[page] = (generation, rows)
        self._restyle_due.discard(page)

    def _restyle_page(self, page: int) -> None:
        if page in self._restyle_due:
            self._restyle_due.discard(page)
            if page not in self._pages:  # dropped since
                return
            generation, rows = self._pages[page]
            self._pages[page] = (generation, self.source.restyle(rows))  # type: ignore[attr-defined]

    def _cached_row(self, index: int) -> TableRow | None:
        """The row at ``index`` if read (of any load), without asking for it."""
        page, offset = divmod(index, PAGE_SIZE)
        cached = self._pages.get(page)
        return cached[1][offset] if cached is not None and offset < len(cached[1]) else None

    @on(Mount)
    def _load_on_mount(self) -> None:
        # Not "on_mount": ScrollView defines one, and Textual calls the handler of
        # every class in the MRO, which ran the first load twice.
        self.reload()

    # A read that fails ends its worker, never the console (on_worker_state_changed).
    @work(thread=True, group="table-count", exclusive=True, exit_on_error=False)
    def _count(self, generation: int, keep_key: str | None) -> None:
        count = self.source.count()
        index = self.source.index_of(keep_key) if keep_key else None
        # Fetch the page the cursor will be on now, not after a paint asks for it:
        # it saves a round trip through the event loop before the rows appear.
        row = index if index is not None else min(self.cursor_row, max(count - 1, 0))
        page = row // PAGE_SIZE
        rows = self.source.fetch(page * PAGE_SIZE, PAGE_SIZE) if count else []
        upto = self._position(self.source)
        self.app.call_from_thread(self._counted, generation, count, index, page, rows, upto)

    def _counted(self, generation: int, count: int, index: int | None, page: int,
                 rows: list[TableRow], upto: int | None) -> None:
        if generation != self._generation:
            return
        if self._failing:
            self._failing = False
            self.notify("数据库已恢复，列表已重新读取", timeout=5, markup=False)
        self._read(upto)
        self._landing = None
        self._pending.clear()
        self._keep_page(page, generation, rows)
        self.row_count = count
        self.virtual_size = Size(self.size.width, count)
        if index is not None:
            self.cursor_row = index
        elif self.cursor_row >= count:
            self.cursor_row = max(count - 1, 0)
        self.refresh()
        self._tell_count(count)
        self.post_message(self.Loaded(count))
        self._settle()

    @staticmethod
    def _position(source: RowSource) -> int | None:
        """After a read, in its worker: how far the desk's changes went (a source
        that cannot say: None)."""
        position = getattr(source, "position", None)
        if position is None:
            return None
        try:
            return position()
        except Exception:  # noqa: BLE001 - the rows read stand; only this is unknown
            return None

    def _read(self, upto: int | None) -> None:
        """Rows or a count kept now were read with the desk's changes at most up to
        ``upto`` (None: not known)."""
        if upto is not None:
            self._read_upto = max(self._read_upto, upto)

    def _request(self, page: int) -> None:
        cached = self._pages.get(page)
        if page in self._pending or (cached is not None and cached[0] == self._generation):
            return
        self.still = None
        self._pending.add(page)
        self._fetch(page, self._generation)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A read of this table failed. The database's own failures (StoreError:
        the server gone, a lock held too long) are said once and the table reads
        again every RETRY_SECONDS, the rows read before staying on the screen
        meanwhile; a page that failed is not asked for again at every paint. Any
        other failure is a bug: said, and left to Ctrl+R."""
        if event.state != WorkerState.ERROR or event.worker.node is not self:
            return
        event.stop()
        error = event.worker.error
        if not isinstance(error, StoreError):
            self.log.error(error)
            self.notify(f"读取列表时出错：{error}", severity="error", timeout=10, markup=False)
            return
        if not self._failing:
            self._failing = True
            self.notify(f"{error.message}。列表每 {RETRY_SECONDS:.0f} 秒重试一次，"
                        "在此之前显示的是上次读到的内容", severity="error", timeout=10, markup=False)
        if self._retry is None:
            self._retry = self.set_timer(RETRY_SECONDS, self._read_again)

    def _read_again(self) -> None:
        self._retry = None
        if self._failing:
            self.reload_in_place()

    @work(thread=True, group="table-pages", exit_on_error=False)
    def _fetch(self, page: int, generation: int) -> None:
        rows = self.source.fetch(page * PAGE_SIZE, PAGE_SIZE)
        upto = self._position(self.source)
        self.app.call_from_thread(self._fetched, page, generation, rows, upto)

    def _fetched(self, page: int, generation: int, rows: list[TableRow],
                 upto: int | None) -> None:
        if generation != self._generation:
            return
        self._read(upto)
        self._pending.discard(page)
        self._keep_page(page, generation, rows)
        while len(self._pages) > MAX_PAGES:
            far = max(self._pages, key=lambda p: abs(p - self.cursor_row // PAGE_SIZE))
            del self._pages[far]
        self.refresh()
        self._settle()

    def row_at(self, index: int) -> TableRow | None:
        page, offset = divmod(index, PAGE_SIZE)
        cached = self._pages.get(page)
        if cached is None or cached[0] != self._generation:
            self._request(page)
        if cached is None:
            return None
        self._restyle_page(page)
        rows = self._pages[page][1]
        return rows[offset] if offset < len(rows) else None

    @property
    def cursor_key(self) -> str | None:
        row = self.row_at(self.cursor_row) if self.row_count else None
        return row.key if row else None

    # ------------------------------------------------------------ drawing
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width  # not under the scrollbar
        if y == 0:
            for header in self._headers():
                header.follow(width)
            strips = self._hidden()
            if strips:
                cursor = self.row_at(self.cursor_row) if self.row_count else None
                widths = layout(self.columns, width)
                for strip in strips:
                    strip.follow(widths, cursor)
        index = round(self.scroll_offset.y) + y
        base = self.rich_style
        if y == 0:
            self._read_ahead(index)
        if index >= self.row_count:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            style = base + self.get_component_rich_style("virtual-table--loading")
            return Strip([Segment(fit("...", width), style)]).adjust_cell_length(width, style)
        style = base
        if row.tag:
            style += self.get_component_rich_style(f"virtual-table--{row.tag}", default=Style())
        if index == self.cursor_row and self.has_focus:
            style += self.get_component_rich_style("virtual-table--cursor")
        elif index == self.cursor_row:
            style += Style(underline=True)
        return render_cells(row.cells, layout(self.columns, width), style, width)

    def _headers(self) -> list[TableHeader]:
        """The title rows of this table's columns on its screen."""
        try:
            return [h for h in self.screen.query(TableHeader) if h.columns is self.columns]
        except Exception:  # noqa: BLE001 - not mounted on a screen yet
            return []

    def _hidden(self) -> list[HiddenColumns]:
        """The strips on this table's screen that show its dropped columns."""
        try:
            return [h for h in self.screen.query(HiddenColumns) if h.columns is self.columns]
        except Exception:  # noqa: BLE001 - not mounted on a screen yet
            return []

    def _read_ahead(self, top: int) -> None:
        """Ask for the pages a page-up or page-down from here will show, so the key
        finds its rows already read (a read is 25-35 ms at a million complaints).
        Only once the page on screen is read: its rows tell the source where the
        neighbours begin (a seek), and the screen's own read goes first."""
        shown = self._pages.get(top // PAGE_SIZE)
        if shown is None or shown[0] != self._generation:
            return
        height = max(self.size.height, 1)
        for index in (top - height, top + 2 * height - 1):
            if 0 <= index < self.row_count:
                self._request(index // PAGE_SIZE)

    def on_resize(self) -> None:
        self.still = None
        self.virtual_size = Size(self.size.width, self.row_count)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if round(old_value) != round(new_value):
            self.still = None
        super().watch_scroll_y(old_value, new_value)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------ cursor
    def watch_cursor_row(self, old: int, new: int) -> None:
        top = round(self.scroll_offset.y)
        height = max(self.size.height, 1)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False, immediate=True)
        self.refresh()

    def action_cursor(self, step: int) -> None:
        if self.row_count:
            self.cursor_row = min(max(self.cursor_row + step, 0), self.row_count - 1)

    def action_page(self, direction: int) -> None:
        if not self.row_count:
            return
        height = max(self.size.height, 1)
        top = min(max(round(self.scroll_offset.y) + direction * height, 0),
                  max(self.row_count - height, 0))
        self.scroll_to(y=top, animate=False, immediate=True)
        self.cursor_row = min(max(self.cursor_row + direction * height, 0), self.row_count - 1)

    def action_jump(self, index: int) -> None:
        if self.row_count:
            self.cursor_row = index if index >= 0 else self.row_count - 1

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(key))

    def on_click(self, event) -> None:  # type: ignore[no-untyped-def]
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < self.row_count:
            self.cursor_row = index
