"""``complaintdesk alerts``: give the alerts due (alerts.py) — always as a plain-text
digest per person on stdout, and by local mail to each person where the
configuration's ``[alerts]`` names sendmail or an SMTP server. Idempotent: an
alert is given once, whatever runs it and however often (cron, a systemd timer)."""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
from email.message import EmailMessage

from complaintdesk.cli.errors import CliError
from complaintdesk.cli.identity import ROOT
from complaintdesk.domain.config import AlertMail
from complaintdesk.process.alerts import digests, give_alerts, staff_names

SUBJECT = "客户投诉处理台提醒"


def _message(mail: AlertMail, login: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = f"{login}@{mail.domain}"
    message["Subject"] = SUBJECT
    message.set_content(body + "\n")
    return message


def send(mail: AlertMail, login: str, body: str) -> None:
    """One person's digest by mail.

    Raises:
        OSError, smtplib.SMTPException, subprocess.CalledProcessError: not sent.
    """
    message = _message(mail, login, body)
    if mail.sendmail:
        subprocess.run([mail.sendmail, "-i", "--", message["To"]], input=message.as_bytes(),
                       check=True, timeout=60, capture_output=True)
        return
    with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=60) as smtp:
        smtp.send_message(message)


def cmd_alerts(desk, actor, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    login = None if actor is ROOT else actor.login
    alerts = give_alerts(desk, login, remember=not args.dry_run)
    if not alerts:
        if args.verbose:
            print("没有新的提醒。")
        return 0
    texts = digests(alerts, staff_names(desk))
    sys.stdout.write("\n\n".join(texts.values()) + "\n")
    mail = desk.config.alert_mail
    if mail is None or args.dry_run:
        return 0
    failed = []
    for login_to, body in texts.items():
        try:
            send(mail, login_to, body)
        except (OSError, smtplib.SMTPException, subprocess.SubprocessError) as exc:
            failed.append(f"{login_to}（{type(exc).__name__}）")
    if failed:
        raise CliError(f"提醒已输出，但以下邮件未能发出：{'、'.join(failed)}。"
                       "请检查配置的 [alerts]（sendmail 路径或 SMTP 服务器）；这些提醒不会重发")
    return 0


def add_alerts_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    alerts = sub.add_parser(
        "alerts", help="发出到期提醒（变黄、超时、回访到期、新的重大投诉），每条只发一次",
        description="找出尚未发出的提醒：期限进入预警（黄）或超时（红）、回访到期、新的重大投诉，"
                    "按人汇总输出到标准输出；配置了 [alerts] 的 sendmail 或 smtp_host 时，"
                    "同时以邮件发给本人（登录名@mail_domain）。每条提醒只发一次（记在数据库里），"
                    "适合由 cron 或 systemd 定时器每几分钟运行。管理员或 root 运行。")
    alerts.add_argument("--dry-run", action="store_true",
                        help="只显示将要发出的提醒，不发邮件，也不记为已发")
    alerts.add_argument("-v", "--verbose", action="store_true", help="没有提醒时也说一声")
    alerts.set_defaults(func=cmd_alerts, root_ok=True)


__all__ = ["add_alerts_command", "cmd_alerts", "send"]
