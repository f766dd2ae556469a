"""Help where you are: every key of the screen under it, what it does, and why
a dimmed one is dimmed now (``?`` or F1 opens it, Esc closes it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label

from complaintdesk.domain.text import display_width

from screens.widgets.wrapped import Wrapped


@dataclass(frozen=True)
class KeyHelp:
    """One key as the help panel lists it."""

    key: str          # as shown: "n", "Ctrl+S", "Esc"
    does: str         # what it does
    dimmed_because: str | None = None  # None: it works now
    action: str | None = None  # the binding's action, to run it from the palette
    namespace: Any = None      # the node the action runs on


#: Textual's own widgets describe their keys in English; by action, in Chinese.
TEXTUAL_ACTIONS = {
    "cursor_left": "光标左移", "cursor_right": "光标右移", "cursor_up": "上移",
    "cursor_down": "下移", "cursor_left_word": "光标左移一个词",
    "cursor_right_word": "光标右移一个词", "cursor_line_start": "到行首",
    "cursor_line_end": "到行尾", "cursor_page_up": "上一页", "cursor_page_down": "下一页",
    "delete_left": "删除左边一个字", "delete_right": "删除右边一个字",
    "delete_left_word": "删除左边一个词", "delete_right_word": "删除右边一个词",
    "delete_left_all": "删除光标左边全部", "delete_right_all": "删除光标右边全部",
    "delete_line": "删除整行", "delete_to_start_of_line": "删除到行首",
    "delete_to_end_of_line": "删除到行尾", "select_all": "全选", "home": "到开头",
    "end": "到末尾", "submit": "确定", "cut": "剪切", "copy": "复制", "paste": "粘贴",
    "undo": "撤销", "redo": "重做", "scroll_left": "左移", "scroll_right": "右移",
    "scroll_up": "上移", "scroll_down": "下移", "scroll_home": "到顶部",
    "scroll_end": "到底部", "page_up": "上一页", "page_down": "下一页",
    "page_left": "向左翻页", "page_right": "向右翻页", "focus_next": "下一项",
    "focus_previous": "上一项", "select": "选择", "first": "第一项", "last": "最后一项",
    "toggle_comment": "注释", "quit": "退出", "command_palette": "命令面板",
}


#: Key names as keyboards print them (Textual's own are ``pgup``, ``^s``, ``escape``).
KEY_NAMES = {
    "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "空格", "backspace": "Backspace",
    "delete": "Delete", "insert": "Insert", "pageup": "PageUp", "pagedown": "PageDown",
    "home": "Home", "end": "End", "up": "↑", "down": "↓", "left": "←", "right": "→",
    "question_mark": "?", "slash": "/", "plus": "+", "minus": "-", "full_stop": ".",
    "comma": ",", "colon": ":", "semicolon": ";", "exclamation_mark": "!",
}
MODIFIERS = {"ctrl": "Ctrl", "shift": "Shift", "alt": "Alt", "meta": "Meta", "super": "Super"}


def key_name(binding: Binding) -> str:
    """``ctrl+s`` → ``Ctrl+S``, ``pageup`` → ``PageUp``, ``f1`` → ``F1``, ``A`` → ``A``;
    a binding's own ``key_display`` wins."""
    if binding.key_display:
        return binding.key_display
    modifiers, key = binding.parse_key()
    name = KEY_NAMES.get(key)
    if name is None:
        if len(key) > 1 and key[0] == "f" and key[1:].isdigit():
            name = key.upper()
        elif len(key) == 1:
            name = key.upper() if modifiers else key
        else:
            name = key.replace("_", " ").title()
    return "+".join([MODIFIERS.get(m, m.title()) for m in modifiers] + [name])


def chinese(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def action_name(action: str) -> tuple[str, tuple[str, ...]]:
    """``step('judge')`` → ``("step", ("judge",))``; the namespace is dropped."""
    name, _, rest = action.partition("(")
    name = name.rsplit(".", 1)[-1]
    params = tuple(p.strip().strip("'\"") for p in rest.rstrip(")").split(",") if p.strip())
    return name, params


def keys_of(screen: Screen) -> list[KeyHelp]:
    """The screen's keys (and the app's that work on it), once each, in the
    order the screen declares them; a dimmed key says why."""
    reason_of = getattr(screen, "disabled_reason", None)
    seen: set[tuple[str, str]] = set()
    rows: list[KeyHelp] = []
    # The screen's own keys first, then the focused field's, then the console's.
    order = {id(screen): 0, id(screen.app): 2}
    actives = sorted(screen.active_bindings.values(), key=lambda a: order.get(id(a.node), 1))
    for active in actives:
        binding = active.binding
        does = binding.tooltip or binding.description
        if not chinese(does):
            does = TEXTUAL_ACTIONS.get(action_name(binding.action)[0], "")
        if not does or binding.system:
            continue
        shown = key_name(binding)
        if (binding.action, does) in seen:
            continue
        seen.add((binding.action, does))
        reason = None
        if not active.enabled:
            name, params = action_name(binding.action)
            reason = (reason_of(name, params) if reason_of else None) or "现在不可用"
        rows.append(KeyHelp(shown, does, reason, binding.action, active.node))
    return rows


class KeysHelpScreen(ModalScreen[None]):
    """The help panel over the screen it explains."""

    BINDINGS = [
        Binding("escape,question_mark,f1,q", "close", "关闭"),
    ]

    def __init__(self, title: str, rows: list[KeyHelp]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        width = max((display_width(row.key) for row in self.rows), default=4) + 2
        with VerticalScroll(classes="dialog wide help-panel"):
            yield Label(Content(f"按键说明 — {self.title_text}"), classes="dialog-title")
            yield Label(Content("[Esc] 关闭    Ctrl+P 命令面板：按名称查找操作、转到投诉"),
                        classes="dialog-keys")
            for row in self.rows:
                text = row.does
                if row.dimmed_because:
                    text += f"（暂不可用：{row.dimmed_because}）"
                with Horizontal(classes="help-row dimmed" if row.dimmed_because else "help-row"):
                    key = Label(Content(row.key), classes="help-key")
                    key.styles.width = width
                    yield key
                    yield Wrapped(text, classes="help-text")
            yield Label(Content("暗色的键此刻不可用，按下时会提示原因。"), classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)
