"""Identity and staff accounts: who is acting and what each role may do."""

from __future__ import annotations

import os
import pwd
import threading

import pytest

from tests.helpers import sql_rows, location
from complaintdesk.process import complaints
from complaintdesk.process import staffing
from complaintdesk.process.desk import open_desk
from complaintdesk.domain.enums import Role
from complaintdesk.domain.errors import DomainError, NotFound, PermissionDenied


def form(**overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "customer_name": "王五", "contact": "13800000001", "channel": "电话",
        "event": "送货迟到三天", "demand": "道歉并补偿运费", "category": "服务质量",
        "priority": "一般",
    }
    data.update(overrides)
    return data


def _audit_actions(desk) -> list[tuple[str, str]]:
    return sql_rows(desk, "SELECT actor, action FROM audit_event ORDER BY id")


# ----------------------------------------------------------------- the acting user

def test_os_login_comes_from_the_real_uid_not_the_environment(monkeypatch):
    expected = pwd.getpwuid(os.getuid()).pw_name
    monkeypatch.setenv("USER", "boss_impostor")
    monkeypatch.setenv("LOGNAME", "boss_impostor")
    monkeypatch.setenv("USERNAME", "boss_impostor")
    assert staffing.os_login() == expected


def test_first_user_on_new_database_becomes_admin(desk):
    actor = staffing.sign_in(desk, "zhangsan", "张三")
    assert actor.role is Role.ADMIN
    assert actor.login == "zhangsan" and actor.name == "张三"
    assert _audit_actions(desk) == [("zhangsan", "staff.bootstrap")]
    # Signing in again is no new bootstrap.
    assert staffing.sign_in(desk, "zhangsan").role is Role.ADMIN
    assert len(_audit_actions(desk)) == 1


def test_second_unknown_login_is_refused_with_the_command_to_run(desk, admin):
    with pytest.raises(PermissionDenied) as excinfo:
        staffing.sign_in(desk, "lisi", "李四")
    assert "complaintdesk staff add lisi" in excinfo.value.message
    assert [s.login for s in staffing.list_staff(desk)] == ["admin1"]


def test_only_one_first_admin_when_two_sign_in_at_once(desk, frozen_now):
    """Two consoles opening a brand-new database at the same moment."""
    desks = [open_desk(location(desk), config=desk.config, clock=lambda: frozen_now)
             for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def sign_in(d, login):
        barrier.wait()
        try:
            outcomes[login] = staffing.sign_in(d, login).role
        except PermissionDenied as exc:
            outcomes[login] = exc

    threads = [threading.Thread(target=sign_in, args=(d, login))
               for d, login in zip(desks, ["alpha", "beta"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in desks:
        d.close()
    roles = [o for o in outcomes.values() if o is Role.ADMIN]
    refusals = [o for o in outcomes.values() if isinstance(o, PermissionDenied)]
    assert len(roles) == 1 and len(refusals) == 1
    assert [s.role for s in staffing.list_staff(desk)] == ["admin"]


def test_disabled_staff_are_refused(desk, admin, counter):
    staffing.disable_staff(desk, admin.login, counter)
    with pytest.raises(PermissionDenied, match="停用"):
        staffing.sign_in(desk, counter)
    with pytest.raises(PermissionDenied):
        complaints.register_complaint(desk, counter, form())
    assert complaints.count_complaints(desk) == 0


# ----------------------------------------------------------------- roles

@pytest.mark.parametrize("role", ["counter", "supervisor", "admin"])
def test_roles_that_may_register(desk, admin, role):
    staffing.add_staff(desk, admin.login, "someone", "某人", role)
    created = complaints.register_complaint(desk, "someone", form())
    assert created.received_by == "someone"


def test_handler_cannot_register(desk, admin):
    staffing.add_staff(desk, admin.login, "handler1", "处理员", "handler", "quality")
    with pytest.raises(PermissionDenied) as excinfo:
        complaints.register_complaint(desk, "handler1", form())
    assert "客服专员" in excinfo.value.message  # names who may
    assert complaints.count_complaints(desk) == 0


def test_unknown_actor_cannot_register(desk, admin):
    with pytest.raises(PermissionDenied, match="complaintdesk staff add ghost"):
        complaints.register_complaint(desk, "ghost", form())


@pytest.mark.parametrize("role", ["counter", "handler", "supervisor"])
def test_only_admins_add_staff(desk, admin, role):
    staffing.add_staff(desk, admin.login, "member", "成员", role, "service")
    with pytest.raises(PermissionDenied):
        staffing.add_staff(desk, "member", "newbie", "新人", "counter")
    assert "newbie" not in {s.login for s in staffing.list_staff(desk)}


@pytest.mark.parametrize("role", ["counter", "handler", "supervisor"])
def test_only_admins_disable_staff(desk, admin, role):
    staffing.add_staff(desk, admin.login, "member", "成员", role, "service")
    staffing.add_staff(desk, admin.login, "victim", "受害者", "counter")
    with pytest.raises(PermissionDenied):
        staffing.disable_staff(desk, "member", "victim")
    assert {s.login: s.active for s in staffing.list_staff(desk)}["victim"] is True


def test_disabled_admin_loses_admin_rights(desk, admin):
    staffing.add_staff(desk, admin.login, "admin2", "第二管理员", "admin")
    staffing.disable_staff(desk, "admin2", admin.login)
    with pytest.raises(PermissionDenied):
        staffing.add_staff(desk, admin.login, "x", "某", "counter")


def test_add_staff_stores_and_audits(desk, admin):
    added = staffing.add_staff(desk, admin.login, "zhao.liu", " 赵六 ", "投诉处理专员", "质量管理部")
    assert (added.login, added.name, added.role, added.department, added.active) == (
        "zhao.liu", "赵六", "handler", "quality", True)
    assert _audit_actions(desk)[-1] == (admin.login, "staff.added")
    actor = staffing.sign_in(desk, "zhao.liu")
    assert actor.role is Role.HANDLER and actor.department == "quality"


def test_duplicate_staff_is_refused(desk, admin, counter):
    with pytest.raises(DomainError, match="已存在"):
        staffing.add_staff(desk, admin.login, counter, "重复", "counter")


@pytest.mark.parametrize("login", ["", "Bad Login", "ZhangSan", "1abc", "a" * 33, "root;rm",
                                   "张三", "-x"])
def test_invalid_login_rejected(desk, admin, login):
    with pytest.raises(DomainError, match="登录名"):
        staffing.add_staff(desk, admin.login, login, "某人", "counter")


@pytest.mark.parametrize("role", ["boss", "", "管理"])
def test_invalid_role_rejected(desk, admin, role):
    with pytest.raises(DomainError, match="角色"):
        staffing.add_staff(desk, admin.login, "someone", "某人", role)


@pytest.mark.parametrize("department", ["nowhere", "财务部", "QUALITY"])
def test_invalid_department_rejected(desk, admin, department):
    with pytest.raises(DomainError, match="部门"):
        staffing.add_staff(desk, admin.login, "someone", "某人", "handler", department)


@pytest.mark.parametrize("name", ["", "   ", "名" * 51])
def test_invalid_name_rejected(desk, admin, name):
    with pytest.raises(DomainError, match="姓名"):
        staffing.add_staff(desk, admin.login, "someone", name, "counter")


# ----------------------------------------------------------------- disabling

def test_cannot_disable_the_last_admin(desk, admin):
    with pytest.raises(DomainError, match="最后一位管理员"):
        staffing.disable_staff(desk, admin.login, admin.login)
    assert staffing.sign_in(desk, admin.login).role is Role.ADMIN


def test_an_admin_can_go_once_another_exists(desk, admin):
    staffing.add_staff(desk, admin.login, "admin2", "第二管理员", "admin")
    staffing.disable_staff(desk, "admin2", admin.login)
    # admin2 is now the last active admin; a disabled admin does not count.
    with pytest.raises(DomainError, match="最后一位管理员"):
        staffing.disable_staff(desk, "admin2", "admin2")


def test_disable_records_audit_and_refuses_repeats(desk, admin, counter):
    staffing.disable_staff(desk, admin.login, counter)
    assert _audit_actions(desk)[-1] == (admin.login, "staff.disabled")
    with pytest.raises(DomainError, match="已是停用"):
        staffing.disable_staff(desk, admin.login, counter)
    with pytest.raises(NotFound):
        staffing.disable_staff(desk, admin.login, "nobody")


@pytest.mark.sqlite_only
def test_opening_and_signing_in_take_no_write_lock(desk, admin, counter):
    """Two hundred consoles start at nine o'clock: opening a current file and
    signing in must not wait for the writers' lock (they did, and some gave up
    with "database is locked")."""
    import sqlite3
    import time

    holder = sqlite3.connect(str(location(desk)), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a save
        started = time.monotonic()
        again = open_desk(location(desk))
        try:
            assert staffing.sign_in(again, counter).login == counter
        finally:
            again.close()
        assert time.monotonic() - started < 2.0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
