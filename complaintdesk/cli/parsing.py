"""The command line's parser: argparse speaking Chinese, global options that
work before or after the subcommand, usage errors with exit status 2.

argparse takes its own words (``usage:``, ``options:``, ``invalid choice``…)
from ``gettext``; it reads them through its module's ``_`` and ``ngettext``,
which ``speak_chinese`` points at this module's catalogue (the words are the
ones of Python 3.11–3.13; a word not in it stays English rather than failing).
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

EXIT_USAGE = 2

ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "options": "选项",
    "optional arguments": "选项",
    "positional arguments": "参数",
    "subcommands": "子命令",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：用法错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "以下参数必须给出一个：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多一个值",
    "expected at least one argument": "至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s":
        "选项 %(option)s 有歧义，可能是：%(matches)s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "未知的子命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s'：%(error)s",
    "ignored explicit argument %r": "此选项不接受值：%r",
    "unexpected option string: %s": "意外的选项：%s",
}

PLURAL_WORDS = {
    "expected %s argument": "需要 %s 个值",
    "expected %s arguments": "需要 %s 个值",
    "conflicting option string: %s": "选项冲突：%s",
    "conflicting option strings: %s": "选项冲突：%s",
}


def translate(text: str) -> str:
    return ARGPARSE_WORDS.get(text, text)


def translate_plural(singular: str, plural: str, n: int) -> str:
    word = singular if n == 1 else plural
    return PLURAL_WORDS.get(word, word)


def speak_chinese() -> None:
    """Make argparse's own texts Chinese (idempotent)."""
    argparse._ = translate  # type: ignore[attr-defined]
    argparse.ngettext = translate_plural  # type: ignore[attr-defined]


class UsageError(Exception):
    """The command line itself is wrong: exit status 2, with a hint to ``--help``."""


GLOBAL_DB_HELP = ("数据库：SQLite 文件路径，或 postgresql://用户@主机:端口/数据库名；"
                  "也可用 $COMPLAINTDESK_DB 或配置文件指定。"
                  "可写在子命令之前或之后")


def database_location(value: str) -> str:
    """``--db``: never empty (an empty path would open a file in the current
    directory, or the installation's)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("不能为空：请给出数据库文件的路径，如 --db /srv/complaintdesk/desk.db")
    return value


class DeskParser(argparse.ArgumentParser):
    """An argparse parser in Chinese whose subcommands (at any depth) accept the
    global options too, and list them in their own ``--help``."""

    def __init__(self, *args, subcommand: bool = False, **kwargs) -> None:  # type: ignore[no-untyped-def]
        speak_chinese()
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        if subcommand:
            group = self.add_argument_group("全局选项")
            # SUPPRESS: not given here, the value given before the subcommand stays.
            group.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, type=database_location,
                               help=GLOBAL_DB_HELP)

    def add_subparsers(self, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("parser_class", _SubcommandParser)
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}：用法错误：{message}\n"
                              f"（{self.prog} --help 查看说明）\n")


class _SubcommandParser(DeskParser):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, subcommand=True, **kwargs)
