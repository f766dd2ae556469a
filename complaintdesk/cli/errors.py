"""The CLI's own errors and how an operating-system error is told in Chinese."""

from __future__ import annotations

import errno


class CliError(Exception):
    """A problem with the command's own input (a file), reported like a domain error."""


#: errno → what happened and what to do about it.
OS_ERRORS = {
    errno.EACCES: ("没有权限", "请检查文件和所在目录的权限，或请管理员授予访问权限"),
    errno.EPERM: ("操作不被允许", "请检查文件的所有者和权限，或请管理员处理"),
    errno.ENOENT: ("文件或目录不存在", "请检查路径是否写对"),
    errno.ENOTDIR: ("路径中有一部分不是目录", "请检查路径是否写对"),
    errno.EISDIR: ("这是一个目录，不是文件", "请给出文件的路径"),
    errno.ENOSPC: ("磁盘已满", "请清理磁盘空间后重试"),
    errno.EDQUOT: ("超出磁盘配额", "请清理个人文件或请管理员提高配额后重试"),
    errno.EROFS: ("文件系统是只读的", "请换一个可写的位置"),
    errno.EEXIST: ("文件已存在", "请换一个名字或先移走已有的文件"),
    errno.ENAMETOOLONG: ("文件名太长", "请用更短的路径"),
    errno.EMFILE: ("打开的文件太多", "请关闭一些程序后重试"),
    errno.EIO: ("磁盘读写错误", "请让管理员检查磁盘（complaintdesk check）"),
}


def os_error_text(exc: OSError, doing: str = "", path: object = None) -> str:
    """``无法写入 /x/y.csv：没有权限。请检查…`` — never the raw English strerror alone.
    ``path`` names the file when the error's own is an intermediate one."""
    what, fix = OS_ERRORS.get(exc.errno or 0, (None, "请检查路径和权限后重试"))
    if what is None:
        what = f"系统错误（{exc.strerror or exc}）"
    where = path if path is not None else exc.filename if exc.filename is not None else ""
    head = f"{doing} {where}".strip() if doing else str(where)
    return f"{head}：{what}。{fix}" if head else f"{what}。{fix}"
