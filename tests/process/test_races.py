"""Two processes, one database, the same login in both, each saving what it
loaded at the same moment: for every editable thing exactly one save wins and the
other is told it was stale — never two successes, never a silent overwrite.
Notes are the exception: both are kept."""

from __future__ import annotations

import multiprocessing

import pytest

from tests.helpers import location
from complaintdesk.process import complaints
from complaintdesk.process import workflow as wf
from complaintdesk.process.desk import Desk
from complaintdesk.domain.enums import Status

from tests.process.test_core_workflow import SHEET, add_people, open_desk_at, drive_to

ROUNDS = 4
CTX = multiprocessing.get_context("fork")


def _contender(path: str, what: str, number: str, loaded: object, text: str,
               barrier, results) -> None:  # type: ignore[no-untyped-def]
    desk = open_desk_at(path)
    try:
        barrier.wait(timeout=30)
        try:
            if what == "sheet":
                wf.save_sheet(desk, "hq", number, {**SHEET, "result": text}, sheet_version=loaded)
            elif what == "submit":
                wf.submit_sheet(desk, "hq", number, {**SHEET, "result": text},
                                sheet_version=loaded)
            elif what == "investigation":
                wf.record_investigation(desk, "hq", number, dict(
                    facts=text, root_cause="r", finding="我方", report="报告"),
                    expected_version=loaded)
            else:
                complaints.add_note(desk, "hq", number, text)
        except wf.StaleEdit as exc:
            results.put(("stale", text, exc.message))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.put(("error", text, f"{type(exc).__name__}: {exc}"))
        else:
            results.put(("saved", text, ""))
    finally:
        desk.close()


def _race(desk: Desk, what: str, number: str, loaded: object) -> list[tuple[str, str, str]]:
    barrier, results = CTX.Barrier(2), CTX.Queue()
    procs = [CTX.Process(target=_contender, args=(str(location(desk)), what, number, loaded,
                                                   f"会话{i}的文本", barrier, results))
             for i in (1, 2)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    return outcomes


@pytest.fixture
def desk(store_location):
    opened = open_desk_at(store_location)
    add_people(opened)
    yield opened
    opened.close()


@pytest.mark.parametrize("what, status, version_of", [
    ("sheet", Status.DRAFTING, lambda h: None),                       # no sheet yet, both
    ("sheet", Status.DRAFTING, "saved"),                              # both loaded version 1
    ("submit", Status.DRAFTING, "saved"),
    ("investigation", Status.INVESTIGATING, lambda h: h.complaint.version),
])
def test_one_of_two_simultaneous_saves_wins_the_other_is_told(desk, what, status, version_of):
    for _ in range(ROUNDS):
        number = drive_to(desk, status)
        if version_of == "saved":
            wf.save_sheet(desk, "hq", number, {**SHEET, "result": "初稿"})
            loaded: object = wf.get_handling(desk, number).sheet.version
        else:
            loaded = version_of(wf.get_handling(desk, number))
        outcomes = _race(desk, what, number, loaded)
        kinds = sorted(kind for kind, _text, _message in outcomes)
        assert kinds == ["saved", "stale"], outcomes
        winner = next(text for kind, text, _ in outcomes if kind == "saved")
        stale = next(message for kind, _text, message in outcomes if kind == "stale")
        assert "质检小李" in stale or "另一个会话" in stale, stale
        handling = wf.get_handling(desk, number)
        stored = handling.sheet.result if what != "investigation" else \
            handling.investigations[-1].facts
        assert stored == winner  # what is stored is the winner's, whole


def test_two_simultaneous_notes_are_both_kept(desk):
    number = drive_to(desk, Status.REGISTERED)
    outcomes = _race(desk, "note", number, None)
    assert sorted(kind for kind, _t, _m in outcomes) == ["saved", "saved"], outcomes
