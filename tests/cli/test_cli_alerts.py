"""``complaintdesk alerts``: the digest on stdout, each alert once, and local mail
through the configured sendmail (a stand-in program that keeps what it is given)."""

from __future__ import annotations

import email
import email.policy
import os
import stat

from complaintdesk.domain.config import DeskConfig
from complaintdesk.process import staffing
from complaintdesk.process.desk import open_desk

from tests.cli.test_cli import ME, env, run  # noqa: F401 - a fixture
from tests.helpers import register


def _desk_with_a_major_complaint(path):  # type: ignore[no-untyped-def]
    desk = open_desk(path, DeskConfig(timezone_name="Asia/Shanghai"))
    try:
        staffing.sign_in(desk, ME)  # the first user: admin
        staffing.add_staff(desk, ME, "counter1", "柜台小王", "counter", account_exists=lambda _: True)
        staffing.add_staff(desk, ME, "sup1", "主管甲", "supervisor", account_exists=lambda _: True)
        return register(desk, "counter1", priority="major").number
    finally:
        desk.close()


def test_alerts_print_a_digest_once_and_mail_each_person(env, tmp_path):  # noqa: F811
    db = tmp_path / "a.db"
    number = _desk_with_a_major_complaint(db)
    kept = tmp_path / "mail"
    fake = tmp_path / "sendmail"
    fake.write_text(f'#!/bin/sh\necho "TO $*" >> {kept}\ncat >> {kept}\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    config = tmp_path / "alerts.toml"
    config.write_text(f'timezone = "Asia/Shanghai"\n[alerts]\nsendmail = "{fake}"\n'
                      'mail_domain = "desk.example"\n', encoding="utf-8")
    configured = dict(env, COMPLAINTDESK_CONFIG=str(config))

    dry = run(configured, db, "alerts", "--dry-run")
    assert dry.returncode == 0, dry.err
    assert "[新的重大投诉]" in dry.out and not kept.exists()

    done = run(configured, db, "alerts")
    assert done.returncode == 0, done.err
    assert "柜台小王（counter1）：" in done.out and "主管甲（sup1）：" in done.out
    assert number in done.out
    mail = kept.read_text(encoding="utf-8")
    assert "TO -i -- counter1@desk.example" in mail and "TO -i -- sup1@desk.example" in mail
    messages = [email.message_from_string(part.split("\n", 1)[1], policy=email.policy.default)
                for part in mail.split("TO -i -- ")[1:]]
    assert [str(m["To"]) for m in messages] == ["counter1@desk.example", "sup1@desk.example"]
    assert all(str(m["Subject"]) == "客户投诉处理台提醒" for m in messages)
    assert all(number in m.get_content() and "[新的重大投诉]" in m.get_content() for m in messages)

    again = run(configured, db, "alerts", "-v")
    assert again.returncode == 0 and again.out.strip() == "没有新的提醒。"


def test_a_mail_that_cannot_be_sent_is_said_and_the_digest_still_printed(env, tmp_path):  # noqa: F811
    db = tmp_path / "a.db"
    _desk_with_a_major_complaint(db)
    config = tmp_path / "alerts.toml"
    config.write_text('[alerts]\nsendmail = "/nonexistent/sendmail"\n', encoding="utf-8")
    done = run(dict(env, COMPLAINTDESK_CONFIG=str(config)), db, "alerts")
    assert done.returncode == 1 and "Traceback" not in done.err
    assert "[新的重大投诉]" in done.out
    assert "未能发出" in done.err and "sendmail" in done.err
    assert os.path.exists(db)


class _Sink:
    """A real SMTP server on localhost (aiosmtpd) that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_alerts_go_through_an_smtp_server_once(env, tmp_path):  # noqa: F811
    from aiosmtpd.controller import Controller

    db = tmp_path / "a.db"
    number = _desk_with_a_major_complaint(db)
    sink, port = _Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = tmp_path / "alerts.toml"
        config.write_text(f'timezone = "Asia/Shanghai"\n[alerts]\nsmtp_host = "127.0.0.1"\n'
                          f'smtp_port = {port}\nmail_domain = "desk.example"\n'
                          'mail_from = "desk@desk.example"\n', encoding="utf-8")
        configured = dict(env, COMPLAINTDESK_CONFIG=str(config))
        done = run(configured, db, "alerts")
        assert done.returncode == 0, done.err
        assert sorted(rcpt for _frm, rcpts, _data in sink.messages for rcpt in rcpts) == [
            "counter1@desk.example", "sup1@desk.example"]
        for frm, _rcpts, data in sink.messages:
            message = email.message_from_bytes(data, policy=email.policy.default)
            assert frm == "desk@desk.example" and str(message["Subject"]) == "客户投诉处理台提醒"
            assert number in message.get_content() and "[新的重大投诉]" in message.get_content()
        again = run(configured, db, "alerts")
        assert again.returncode == 0 and len(sink.messages) == 2  # nothing twice
    finally:
        controller.stop()


def test_an_unreachable_smtp_server_is_said_and_the_digest_still_printed(env, tmp_path):  # noqa: F811
    db = tmp_path / "a.db"
    number = _desk_with_a_major_complaint(db)
    config = tmp_path / "alerts.toml"
    config.write_text(f'[alerts]\nsmtp_host = "127.0.0.1"\nsmtp_port = {_free_port()}\n',
                      encoding="utf-8")
    done = run(dict(env, COMPLAINTDESK_CONFIG=str(config)), db, "alerts")
    assert done.returncode != 0 and number in done.out
    assert "以下邮件未能发出" in done.err and "Traceback" not in done.err
