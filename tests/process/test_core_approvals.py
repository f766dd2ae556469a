"""Approval by amount (a second approval above the configured 损失金额, by the
configured role) and the 部门经理意见 given by the department's own manager
(issue 16, item 6). Separation of duties at every level."""

from __future__ import annotations

import json

import pytest

from complaintdesk.domain.config import Approval, DeskConfig, load_config
from complaintdesk.domain.enums import Role
from complaintdesk.domain.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from complaintdesk.process import staffing
from complaintdesk.process import workflow as wf
from complaintdesk.process.approvals import give_manager_opinion, pending_approvals
from complaintdesk.process.desk import open_desk
from complaintdesk.process.complaints import get_complaint
from complaintdesk.reports.printing import render_text

from tests.process.test_core_revisits import clock  # noqa: F401 - fixture
from tests.process.test_core_workflow import (SHEET, S, add_people, audit_rows, drive_to,
                                              sheet_version)

BIG = dict(SHEET, method="赔偿", loss_amount="8,000.00")


def _desk(location, clock, **approval: object):  # type: ignore[no-untyped-def]
    config = DeskConfig(timezone_name="Asia/Shanghai", approval=Approval(**approval))
    desk = open_desk(location, config=config, clock=clock)
    add_people(desk)
    staffing.add_staff(desk, "admin1", "lead1", "分管领导甲", "leader")
    staffing.add_staff(desk, "admin1", "sup3", "主管丙", "supervisor")
    staffing.add_staff(desk, "admin1", "mq", "质量部经理", "handler", "quality")
    staffing.set_manager(desk, "admin1", "mq", True)
    return desk


@pytest.fixture
def two_level(store_location, clock):  # type: ignore[no-untyped-def]  # noqa: F811
    desk = _desk(store_location, clock, second_above_cents=5000_00)
    yield desk
    desk.close()


def _submitted(desk, sheet: dict = BIG) -> str:  # type: ignore[no-untyped-def]
    number = drive_to(desk, S.DRAFTING)
    wf.submit_sheet(desk, "hq", number, sheet, sheet_version=sheet_version(desk, number))
    return number


def _sheet(desk, number: str):  # type: ignore[no-untyped-def]
    return wf.get_handling(desk, number).sheet


def test_below_the_amount_one_supervisor_approves(two_level) -> None:
    number = _submitted(two_level, SHEET)  # ¥1,234.50
    assert wf.approve_plan(two_level, "sup1", number, opinion="同意").status is S.APPROVED
    assert _sheet(two_level, number).first_decided_by is None


def test_above_the_amount_a_supervisor_then_the_leader(two_level) -> None:
    number = _submitted(two_level)
    assert [p.level for p in pending_approvals(two_level, role=Role.SUPERVISOR)] == ["first"]
    assert pending_approvals(two_level, role=Role.LEADER) == []
    with pytest.raises(PermissionDenied, match="只有主管可以审批处理方案"):
        wf.approve_plan(two_level, "lead1", number, opinion="同意")  # the first is a supervisor's
    outcome = wf.approve_plan(two_level, "sup1", number, opinion="同意，报分管领导")
    assert outcome.status is S.PENDING_APPROVAL
    sheet = _sheet(two_level, number)
    assert (sheet.first_decided_by, sheet.first_opinion, sheet.state) == (
        "sup1", "同意，报分管领导", "submitted")
    assert audit_rows(two_level)[-1]["action"] == "workflow.approve_first"
    assert pending_approvals(two_level, role=Role.SUPERVISOR) == []
    assert [p.level for p in pending_approvals(two_level, role=Role.LEADER)] == ["second"]
    # Another supervisor may not take the second level: it is the leader's.
    with pytest.raises(PermissionDenied, match="须由分管领导二级审批"):
        wf.approve_plan(two_level, "sup2", number, opinion="同意")
    outcome = wf.approve_plan(two_level, "lead1", number, opinion="同意赔偿")
    assert outcome.status is S.APPROVED
    text = render_text(get_complaint(two_level, number), wf.get_handling(two_level, number),
                       two_level, 100)
    assert "一级审批：同意，报分管领导" in text and "二级审批：同意赔偿" in text
    assert "分管领导甲（lead1）" in text and "主管甲（sup1）" in text
    sheet = _sheet(two_level, number)
    assert (sheet.decided_by, sheet.implementation_opinion) == ("lead1", "同意赔偿")
    event = audit_rows(two_level)[-1]
    assert event["action"] == "workflow.approve_second"
    assert json.loads(event["detail"])["first_decided_by"] == "sup1"


def test_the_second_approver_is_never_the_first_nor_an_author(store_location, clock) -> None:  # noqa: F811
    desk = _desk(store_location, clock, second_above_cents=5000_00, second_role="supervisor")
    try:
        number = _submitted(desk)
        wf.approve_plan(desk, "sup1", number, opinion="同意")
        with pytest.raises(PermissionDenied, match="一级审批人不能再做二级审批"):
            wf.approve_plan(desk, "sup1", number, opinion="我再批一次")
        assert wf.approve_plan(desk, "sup2", number, opinion="同意").status is S.APPROVED
        # A supervisor who drafted a sheet decides it at neither level.
        other = drive_to(desk, S.DRAFTING)
        wf.submit_sheet(desk, "sup3", other, BIG, sheet_version=sheet_version(desk, other))
        with pytest.raises(PermissionDenied, match="不能审批自己拟定或修改过的处理单"):
            wf.approve_plan(desk, "sup3", other, opinion="同意")
        wf.approve_plan(desk, "sup1", other, opinion="同意")
        with pytest.raises(PermissionDenied, match="不能审批自己拟定或修改过的处理单"):
            wf.approve_plan(desk, "sup3", other, opinion="同意")
    finally:
        desk.close()


def test_a_return_at_the_second_level_needs_both_again(two_level) -> None:
    number = _submitted(two_level)
    wf.approve_plan(two_level, "sup1", number, opinion="同意")
    with pytest.raises(PermissionDenied):
        wf.return_plan(two_level, "sup2", number, reason="金额过高")  # the leader's to decide
    assert wf.return_plan(two_level, "lead1", number, reason="金额过高，请压减").status is S.RETURNED
    sheet = _sheet(two_level, number)
    assert sheet.first_decided_by is None and sheet.return_reason == "金额过高，请压减"
    wf.submit_sheet(two_level, "hq", number, BIG, sheet_version=sheet.version)
    assert wf.approve_plan(two_level, "sup2", number, opinion="同意").status is S.PENDING_APPROVAL
    assert wf.approve_plan(two_level, "lead1", number, opinion="同意").status is S.APPROVED


def test_the_amount_of_9_999_999_99_is_not_approved_in_one_step(two_level) -> None:
    number = _submitted(two_level, dict(BIG, loss_amount="9999999.99"))
    assert wf.approve_plan(two_level, "sup1", number, opinion="同意").status is S.PENDING_APPROVAL


def test_at_the_amount_exactly_one_approval(two_level) -> None:
    number = _submitted(two_level, dict(BIG, loss_amount="5000"))
    assert wf.approve_plan(two_level, "sup1", number, opinion="同意").status is S.APPROVED


# ----------------------------------------------------------------- 部门经理意见

def test_only_the_departments_manager_gives_the_manager_opinion(two_level) -> None:
    number = drive_to(two_level, S.DRAFTING)
    wf.save_sheet(two_level, "hq", number, SHEET, sheet_version=None)
    for who in ("hq", "sup1", "counter1", "hp"):
        with pytest.raises(PermissionDenied, match="部门经理"):
            give_manager_opinion(two_level, who, number, opinion="同意")
    with pytest.raises(PermissionDenied):
        give_manager_opinion(two_level, "admin1", number, opinion="同意")
    give_manager_opinion(two_level, "mq", number, opinion="  同意退货，由质量部跟进  ")
    sheet = _sheet(two_level, number)
    assert (sheet.manager_opinion, sheet.manager_opinion_by) == ("同意退货，由质量部跟进", "mq")
    assert sheet.manager_opinion_at is not None
    event = audit_rows(two_level)[-1]
    assert (event["action"], event["actor"]) == ("workflow.manager_opinion", "mq")
    # Nobody types it into the sheet.
    with pytest.raises(ValidationFailed) as typed:
        wf.save_sheet(two_level, "hq", number, dict(SHEET, manager_opinion="我替经理写"),
                      sheet_version=sheet.version)
    assert "部门经理本人" in typed.value.errors["manager_opinion"]
    # A save that leaves the signed plan alone keeps the signature; it is printed
    # with who and when.
    wf.save_sheet(two_level, "hq", number, dict(SHEET, receiver_opinion="同意，补发"),
                  sheet_version=sheet.version)
    assert _sheet(two_level, number).manager_opinion_by == "mq"
    text = render_text(get_complaint(two_level, number), wf.get_handling(two_level, number),
                       two_level, 100)
    assert "同意退货，由质量部跟进" in text and "质量部经理" in text
    # A changed plan withdraws it (the manager signs the new plan again), audited.
    wf.save_sheet(two_level, "hq", number, dict(SHEET, loss_amount="90000"),
                  sheet_version=_sheet(two_level, number).version)
    sheet = _sheet(two_level, number)
    assert (sheet.manager_opinion, sheet.manager_opinion_by, sheet.manager_opinion_at) == (
        "", None, None)
    assert json.loads(audit_rows(two_level)[-1]["detail"])["manager_opinion_withdrawn"] == \
        "同意退货，由质量部跟进"


def test_the_manager_does_not_sign_their_own_sheet(two_level) -> None:
    number = drive_to(two_level, S.DRAFTING)
    staffing.set_manager(two_level, "admin1", "hq", True)  # the drafter is a manager too
    wf.save_sheet(two_level, "hq", number, SHEET, sheet_version=None)
    with pytest.raises(PermissionDenied, match="自己拟定或修改过的处理单"):
        give_manager_opinion(two_level, "hq", number, opinion="同意")
    give_manager_opinion(two_level, "mq", number, opinion="同意")
    # Signing leaves the sheet's version: the drafter's open editor saves on.
    wf.save_sheet(two_level, "hq", number, dict(SHEET, receiver_opinion="再补一句"),
                  sheet_version=1)


def test_manager_opinion_needs_a_sheet_and_a_drafting_status(two_level) -> None:
    number = drive_to(two_level, S.DRAFTING)
    with pytest.raises(NotFound, match="还没有处理单"):
        give_manager_opinion(two_level, "mq", number, opinion="同意")
    with pytest.raises(ValidationFailed):
        give_manager_opinion(two_level, "mq", number, opinion="   ")
    pending = _submitted(two_level)
    with pytest.raises(PermissionDenied, match="待审批"):
        give_manager_opinion(two_level, "mq", pending, opinion="同意")


def test_the_manager_does_not_approve_what_they_signed(store_location, clock) -> None:  # noqa: F811
    desk = _desk(store_location, clock, manager_by="supervisor")
    try:
        staffing.set_role(desk, "admin1", "sup3", "supervisor", "quality")
        number = drive_to(desk, S.DRAFTING)
        wf.save_sheet(desk, "hq", number, SHEET, sheet_version=None)
        with pytest.raises(PermissionDenied):
            give_manager_opinion(desk, "mq", number, opinion="同意")  # flagged, but not the role
        give_manager_opinion(desk, "sup3", number, opinion="同意")
        wf.submit_sheet(desk, "hq", number, SHEET, sheet_version=sheet_version(desk, number))
        with pytest.raises(PermissionDenied, match="部门经理意见"):
            wf.approve_plan(desk, "sup3", number, opinion="同意")
        assert wf.approve_plan(desk, "sup1", number, opinion="同意").status is S.APPROVED
    finally:
        desk.close()


def test_a_required_manager_opinion_holds_the_submission(store_location, clock) -> None:  # noqa: F811
    desk = _desk(store_location, clock, manager_required=True)
    try:
        number = drive_to(desk, S.DRAFTING)
        with pytest.raises(ValidationFailed) as missing:
            wf.submit_sheet(desk, "hq", number, SHEET, sheet_version=None)
        assert "部门经理" in missing.value.errors["manager_opinion"]
        assert wf.get_handling(desk, number).sheet is None  # nothing saved
        wf.save_sheet(desk, "hq", number, SHEET, sheet_version=None)
        give_manager_opinion(desk, "mq", number, opinion="同意")
        wf.submit_sheet(desk, "hq", number, SHEET, sheet_version=sheet_version(desk, number))
    finally:
        desk.close()


def test_set_manager_needs_a_department_and_is_audited(two_level) -> None:
    with pytest.raises(DomainError, match="不属于任何部门"):
        staffing.set_manager(two_level, "admin1", "sup1", True)
    with pytest.raises(PermissionDenied):
        staffing.set_manager(two_level, "sup1", "hq", True)
    staffing.set_manager(two_level, "admin1", "hq", True)
    assert audit_rows(two_level)[-1]["action"] == "staff.manager_changed"
    # Moved to another department, no longer the manager of the old one.
    staffing.set_role(two_level, "admin1", "hq", "handler", "production")
    assert not next(s for s in staffing.list_staff(two_level) if s.login == "hq").manager


# ----------------------------------------------------------------- the configuration

def test_approval_configuration(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[approval]\nsecond_above = \"5,000.50\"\nsecond_role = \"admin\"\n"
                    "manager_by = \"supervisor\"\nmanager_required = true\n", encoding="utf-8")
    assert load_config(path).approval == Approval(500050, "admin", "supervisor", True)
    path.write_text("[approval]\nsecond_above = 0\n", encoding="utf-8")
    assert load_config(path).approval.second_above_cents is None
    for bad, words in (("second_above = \"五千\"", "approval.second_above"),
                       ("second_above = -1", "approval.second_above"),
                       ("second_role = \"counter\"", "approval.second_role"),
                       ("manager_by = \"boss\"", "approval.manager_by"),
                       ("manager_required = \"yes\"", "approval.manager_required")):
        path.write_text(f"[approval]\n{bad}\n", encoding="utf-8")
        with pytest.raises(DomainError, match=words.replace(".", r"\.")):
            load_config(path)


def test_two_supervisors_approving_at_once_one_wins(store_location, clock) -> None:  # noqa: F811
    """Both open the same sheet (the same version) and approve at once: one first
    approval is given; the other hears that the complaint changed, and nothing else
    is recorded — never a first and a second approval by the two without the second
    seeing the first."""
    import threading

    desk = _desk(store_location, clock, second_above_cents=5000_00, second_role="supervisor")
    try:
        number = _submitted(desk)
        version = wf.get_handling(desk, number).complaint.version
        results: dict[str, object] = {}
        start = threading.Barrier(2)

        def approve(who: str) -> None:
            start.wait()
            try:
                results[who] = wf.approve_plan(desk, who, number, opinion=f"{who} 同意",
                                               expected_version=version)
            except wf.StaleEdit as exc:
                results[who] = exc

        threads = [threading.Thread(target=approve, args=(who,)) for who in ("sup1", "sup2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes = sorted(type(r).__name__ for r in results.values())
        assert outcomes == ["Outcome", "StaleEdit"]
        sheet = wf.get_handling(desk, number).sheet
        assert sheet.state == "submitted" and sheet.first_decided_by in ("sup1", "sup2")
        assert wf.get_handling(desk, number).complaint.status == "pending_approval"
    finally:
        desk.close()
