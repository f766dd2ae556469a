"""Staff accounts and who is acting.

The acting user is the OS account of the process's real uid: ``$USER`` and
``$LOGNAME`` can be set by anyone, the uid cannot. There is deliberately no way
to act as somebody else.
"""

from __future__ import annotations

import os
import pwd
import re
from dataclasses import dataclass

from sqlmodel import Session, func, select

from . import audit
from .desk import Desk
from .enums import Role
from .errors import DomainError, NotFound, PermissionDenied
from .models import Staff

LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def os_login() -> str:
    """The login name of the real uid running this process."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


def os_display_name(login: str) -> str:
    try:
        gecos = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except KeyError:
        gecos = ""
    return gecos or login


@dataclass(frozen=True)
class Actor:
    """The signed-in staff member, detached from any session."""

    login: str
    name: str
    role: Role
    department: str | None

    @property
    def label(self) -> str:
        return f"{self.name}（{self.login}）"


def _actor(staff: Staff) -> Actor:
    return Actor(staff.login, staff.name, Role(staff.role), staff.department)


def _not_staff_message(login: str) -> str:
    return (f"账号 {login} 不是本系统的在职员工。请管理员运行：\n"
            f"  complaintdesk staff add {login} --name 姓名 --role counter")


def sign_in(desk: Desk, login: str, display_name: str | None = None) -> Actor:
    """Resolve the acting staff member; on a new database the first user becomes admin.

    Raises:
        PermissionDenied: the account is not (or no longer) staff.
    """
    with desk.store.write() as session:
        staff = session.get(Staff, login)
        if staff is None:
            if session.exec(select(func.count()).select_from(Staff)).one() == 0:
                now = desk.now_utc()
                staff = Staff(login=login, name=display_name or os_display_name(login),
                              role=Role.ADMIN.value, created_at=now)
                session.add(staff)
                audit.record(session, at=now, actor=login, action="staff.bootstrap",
                             after=f"{login} admin")
                return _actor(staff)
            raise PermissionDenied(_not_staff_message(login))
        if not staff.active:
            raise PermissionDenied(f"账号 {login} 已被停用。如需恢复，请联系管理员。")
        return _actor(staff)


def require(session: Session, login: str, roles: set[Role], what: str) -> Staff:
    """Load the actor inside the transaction and check the role.

    Raises:
        PermissionDenied: naming which roles may do ``what``.
    """
    staff = session.get(Staff, login)
    if staff is None:
        raise PermissionDenied(_not_staff_message(login))
    if not staff.active:
        raise PermissionDenied(f"账号 {login} 已被停用。如需恢复，请联系管理员。")
    if Role(staff.role) not in roles:
        allowed = "、".join(r.label for r in Role if r in roles)
        raise PermissionDenied(f"只有{allowed}可以{what}（你的角色：{Role(staff.role).label}）")
    return staff


def add_staff(desk: Desk, actor: str, login: str, name: str, role: str,
              department: str | None = None) -> Staff:
    """Add a staff account (admins only)."""
    login = login.strip()
    if not LOGIN_RE.match(login):
        raise DomainError(f"登录名无效：{login!r}（应为系统账号名，如 zhangsan）")
    name = name.strip()
    if not name or len(name) > 50:
        raise DomainError("姓名必填，最多 50 字")
    try:
        role_value = Role.parse(role)
    except ValueError as exc:
        raise DomainError(f"角色{exc}") from None
    if department is not None:
        codes = {d.code: d for d in desk.config.departments}
        names = {d.name: d for d in desk.config.departments}
        dept = codes.get(department) or names.get(department)
        if dept is None:
            options = "、".join(f"{d.code}/{d.name}" for d in desk.config.departments)
            raise DomainError(f"部门无效：{department}（可用：{options}）")
        department = dept.code
    with desk.store.write() as session:
        require(session, actor, {Role.ADMIN}, "管理员工账号")
        if session.get(Staff, login) is not None:
            raise DomainError(f"员工 {login} 已存在")
        now = desk.now_utc()
        staff = Staff(login=login, name=name, role=role_value.value, department=department,
                      created_at=now)
        session.add(staff)
        audit.record(session, at=now, actor=actor, action="staff.added",
                     after=f"{login} {role_value.value}",
                     detail={"name": name, "department": department})
        return staff


def disable_staff(desk: Desk, actor: str, login: str) -> Staff:
    """Disable an account (admins only). The last active admin cannot be disabled."""
    with desk.store.write() as session:
        require(session, actor, {Role.ADMIN}, "管理员工账号")
        staff = session.get(Staff, login)
        if staff is None:
            raise NotFound(f"没有员工 {login}")
        if not staff.active:
            raise DomainError(f"员工 {login} 已是停用状态")
        if staff.role == Role.ADMIN.value:
            admins = session.exec(select(func.count()).select_from(Staff).where(
                Staff.role == Role.ADMIN.value, Staff.active == True)).one()  # noqa: E712
            if admins <= 1:
                raise DomainError("不能停用最后一位管理员：请先添加另一位管理员")
        staff.active = False
        session.add(staff)
        audit.record(session, at=desk.now_utc(), actor=actor, action="staff.disabled",
                     field="active", before="true", after="false", detail={"login": login})
        return staff


def list_staff(desk: Desk) -> list[Staff]:
    with desk.store.read() as session:
        return list(session.exec(select(Staff).order_by(Staff.role, Staff.login)))
