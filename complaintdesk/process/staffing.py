"""Staff accounts and who is acting.

The acting user is the OS account the kernel (or, in service mode, sudo) says
runs the process (``locations.detect_mode``): ``$USER`` and ``$LOGNAME`` can be
set by anyone, the uid cannot. There is deliberately no way to act as somebody
else. A staff login must be an OS account of the box.
"""

from __future__ import annotations

import os
import pwd
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from complaintdesk.process import audit
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Role
from complaintdesk.domain.errors import DomainError, NotFound, PermissionDenied
from complaintdesk.store.models import Staff
from complaintdesk.domain.text import clean_line

LOGIN_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def os_login() -> str:
    """The login name of the real uid running this process (outside service mode)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


def os_account_exists(login: str) -> bool:
    try:
        pwd.getpwnam(login)
    except KeyError:
        return False
    return True


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
    manager: bool = False  # the department's manager (部门经理)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.login}）"


def _actor(staff: Staff) -> Actor:
    return Actor(staff.login, staff.name, Role(staff.role), staff.department, bool(staff.manager))


def _not_staff_message(login: str) -> str:
    return (f"账号 {login} 不是本系统的在职员工。请管理员运行：\n"
            f"  complaintdesk staff add {login} --name 姓名 --role counter")


def sign_in(desk: Desk, login: str, display_name: str | None = None, *,
            bootstrap: bool = True) -> Actor:
    """Resolve the acting staff member; on a new database the first user becomes
    admin (unless ``bootstrap`` is off: in service mode setup-box names the admin).

    Raises:
        PermissionDenied: the account is not (or no longer) staff.
    """
    # A read: every console signs in as it starts (two hundred at nine o'clock);
    # only the first person on a new database writes.
    # Someone else on the staff already: not staff is said from the read too (a
    # read replica cannot write at all).
    with desk.store.read() as session:
        staff = session.get(Staff, login)
        if staff is not None:
            if not staff.active:
                raise PermissionDenied(f"账号 {login} 已被停用。如需恢复，请联系管理员。")
            return _actor(staff)
        if not bootstrap or session.exec(select(func.count()).select_from(Staff)).one() > 0:
            raise PermissionDenied(_not_staff_message(login))
    with desk.store.write() as session:
        staff = session.get(Staff, login)
        if staff is None:
            if bootstrap and session.exec(select(func.count()).select_from(Staff)).one() == 0:
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


def ensure_admin(desk: Desk, login: str) -> Staff:
    """Make ``login`` an active admin (``setup-box --admin``, run by root): the
    first admin of a new database, or an existing account promoted. Audited as
    done by ``root``."""
    with desk.store.write() as session:
        now = desk.now_utc()
        staff = session.get(Staff, login)
        if staff is None:
            staff = Staff(login=login, name=os_display_name(login), role=Role.ADMIN.value,
                          created_at=now)
            session.add(staff)
            audit.record(session, at=now, actor="root", action="staff.bootstrap",
                         after=f"{login} admin", detail={"by": "setup-box"})
        elif staff.role != Role.ADMIN.value or not staff.active:
            before = f"{staff.role} {'active' if staff.active else 'disabled'}"
            staff.role, staff.active, staff.department = Role.ADMIN.value, True, None
            session.add(staff)
            audit.record(session, at=now, actor="root", action="staff.role_changed",
                         field="role", before=before, after="admin active",
                         detail={"login": login, "by": "setup-box"})
        return staff


def standing(desk: Desk, actor: Actor) -> str | None:
    """Why ``actor`` may no longer work with what the console shows (disabled, role
    or department changed), or None while the account stands as signed in."""
    with desk.store.read() as session:
        staff = session.get(Staff, actor.login)
        if staff is None or not staff.active:
            return f"账号 {actor.login} 已被管理员停用，控制台即将关闭。如需恢复，请联系管理员。"
        if Role(staff.role) is not actor.role or staff.department != actor.department:
            return (f"账号 {actor.login} 的角色已改为{Role(staff.role).label}，"
                    "控制台即将关闭，请重新打开。")
    return None


_ROLE_OF = select(Staff.active, Staff.role).where(Staff.login == bindparam("login"))


def require(session: Session, login: str, roles: set[Role], what: str) -> Role:
    """Check the actor's account inside the transaction; their role.

    Raises:
        PermissionDenied: naming which roles may do ``what``.
    """
    # Two columns by Core, not the ORM's Staff: a fifth of a registration's
    # time went to loading the object.
    return judge_account(login, session.connection().execute(_ROLE_OF, {"login": login}).first(),
                         roles, what)


def judge_account(login: str, account: tuple[bool, str] | None, roles: set[Role],
                  what: str) -> Role:
    """The role of ``login``'s account as read (``(active, role)``, None if there
    is none), if it may do ``what``.

    Raises:
        PermissionDenied: not staff, stopped, or not one of ``roles`` (named).
    """
    if account is None:
        raise PermissionDenied(_not_staff_message(login))
    active, role = account
    if not active:
        raise PermissionDenied(f"账号 {login} 已被停用。如需恢复，请联系管理员。")
    if Role(role) not in roles:
        allowed = "、".join(r.label for r in Role if r in roles)
        raise PermissionDenied(f"只有{allowed}可以{what}（你的角色：{Role(role).label}）")
    return Role(role)


def add_staff(desk: Desk, actor: str, login: str, name: str, role: str,
              department: str | None = None, *,
              account_exists: Callable[[str], bool] | None = None) -> Staff:
    """Add a staff account (admins only). ``login`` must be an OS account of the box:
    the console and CLI know people only by the account that runs them."""
    login = login.strip()
    if not LOGIN_RE.match(login):
        raise DomainError(f"登录名无效：{login!r}（应为系统账号名，如 zhangsan）")
    if not (account_exists or os_account_exists)(login):
        raise DomainError(f"本机没有系统账号 {login}：请先创建该账号（如 sudo adduser {login}），"
                          "再添加为员工")
    name = clean_line(name)
    if not name or len(name) > 50:
        raise DomainError("姓名必填，最多 50 字")
    role_value = _role(role)
    department = _department(desk, department)
    if role_value is Role.HANDLER and department is None:
        raise DomainError("投诉处理专员必须属于一个部门：请加上 --dept 部门代码")
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
        staff = _managed(session, actor, login)
        if not staff.active:
            raise DomainError(f"员工 {login} 已是停用状态")
        _last_admin_guard(session, staff, "停用")
        staff.active = False
        session.add(staff)
        audit.record(session, at=desk.now_utc(), actor=actor, action="staff.disabled",
                     field="active", before="true", after="false", detail={"login": login})
        return staff


def _role(role: str) -> Role:
    try:
        return Role.parse(role)
    except ValueError as exc:
        raise DomainError(f"角色{exc}") from None


def _department(desk: Desk, department: str | None) -> str | None:
    """A department code from its code or name, or DomainError listing them."""
    if department is None:
        return None
    codes = {d.code: d for d in desk.config.departments}
    names = {d.name: d for d in desk.config.departments}
    dept = codes.get(department) or names.get(department)
    if dept is None:
        options = "、".join(f"{d.code}/{d.name}" for d in desk.config.departments)
        raise DomainError(f"部门无效：{department}（可用：{options}）")
    return dept.code


def _managed(session: Session, actor: str, login: str) -> Staff:
    """The staff member ``login``, for an admin ``actor`` to change."""
    require(session, actor, {Role.ADMIN}, "管理员工账号")
    staff = session.get(Staff, login)
    if staff is None:
        raise NotFound(f"没有员工 {login}")
    return staff


def _last_admin_guard(session: Session, staff: Staff, what: str) -> None:
    """Refuse to leave the desk without an active admin."""
    if staff.role == Role.ADMIN.value and staff.active:
        admins = session.exec(select(func.count()).select_from(Staff).where(
            Staff.role == Role.ADMIN.value, Staff.active == True)).one()  # noqa: E712
        if admins <= 1:
            raise DomainError(f"不能{what}最后一位管理员：请先添加另一位管理员")


def enable_staff(desk: Desk, actor: str, login: str) -> Staff:
    """Enable a disabled account again (admins only, audited)."""
    with desk.store.write() as session:
        staff = _managed(session, actor, login)
        if staff.active:
            raise DomainError(f"员工 {login} 已是在职状态")
        staff.active = True
        session.add(staff)
        audit.record(session, at=desk.now_utc(), actor=actor, action="staff.enabled",
                     field="active", before="false", after="true", detail={"login": login})
        return staff


def set_role(desk: Desk, actor: str, login: str, role: str,
             department: str | None = None) -> Staff:
    """Change a staff member's role (and department), admins only, audited.

    A handler (投诉处理专员) must belong to a department; the last active admin
    keeps the role.
    """
    role_value = _role(role)
    department = _department(desk, department)
    with desk.store.write() as session:
        staff = _managed(session, actor, login)
        new_dept = department if department is not None else (
            staff.department if role_value is Role.HANDLER else None)
        if role_value is Role.HANDLER and new_dept is None:
            raise DomainError("投诉处理专员必须属于一个部门：请加上 --dept 部门代码")
        if staff.role == role_value.value and staff.department == new_dept:
            raise DomainError(f"员工 {login} 已是{role_value.label}")
        if role_value is not Role.ADMIN:
            _last_admin_guard(session, staff, "更改")
        before = f"{staff.role} {staff.department or ''}".strip()
        if new_dept != staff.department:
            staff.manager = False  # managed the old department, not the new one
        staff.role, staff.department = role_value.value, new_dept
        session.add(staff)
        audit.record(session, at=desk.now_utc(), actor=actor, action="staff.role_changed",
                     field="role", before=before, after=f"{role_value.value} {new_dept or ''}".strip(),
                     detail={"login": login})
        return staff


def set_manager(desk: Desk, actor: str, login: str, manager: bool) -> Staff:
    """Flag (or unflag) a staff member as their department's manager (部门经理), who
    gives the 处理单's 部门经理意见 (admins only, audited). Needs a department."""
    with desk.store.write() as session:
        staff = _managed(session, actor, login)
        if manager and not staff.department:
            raise DomainError(f"员工 {login} 不属于任何部门：请先用 staff set-role … --dept "
                              "部门代码 指定部门，再设为部门经理")
        if staff.manager == manager:
            raise DomainError(f"员工 {login} {'已是' if manager else '不是'}部门经理")
        staff.manager = manager
        session.add(staff)
        audit.record(session, at=desk.now_utc(), actor=actor, action="staff.manager_changed",
                     field="manager", before=str(not manager).lower(), after=str(manager).lower(),
                     detail={"login": login, "department": staff.department})
        return staff


def list_staff(desk: Desk) -> list[Staff]:
    with desk.store.read() as session:
        return list(session.exec(select(Staff).order_by(Staff.role, Staff.login)))
