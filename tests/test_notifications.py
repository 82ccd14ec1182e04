"""In-portal notifications and the mail outbox: written with the change, sent after commit, retried."""

import smtplib

import pytest

from portal.accounts.models import Role
from portal.notifications import services
from portal.notifications.models import Notification, OutboxMail


class FakeSMTP:
    sent: list = []
    fail_next = 0

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        if FakeSMTP.fail_next:
            FakeSMTP.fail_next -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.fail_next = [], 0
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


@pytest.fixture
def mail_on(app):
    app.config["PORTAL_MAIL_SERVER"] = "mail.example.cn:2525"


def test_notify_without_mail_server_only_notifies_in_portal(app, db, make_user):
    user = make_user(Role.HOSPITAL)
    services.notify([user], "评估任务即将到期", "3 项", "/assessments")
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 1
    assert db.session.scalar(db.select(db.func.count(OutboxMail.id))) == 0


def test_mail_is_sent_after_commit_and_retried(app, db, make_user, smtp, mail_on):
    user = make_user(Role.MANUFACTURER, email="qa@company.cn")
    services.notify([user], "申报已退回", "请补充注册证", "/applications/1")
    db.session.commit()
    smtp.fail_next = 1
    assert services.deliver_pending() == (0, 1)
    mail = db.session.scalar(db.select(OutboxMail))
    assert mail.sent_at is None and mail.attempts == 1 and "connection lost" in mail.last_error
    assert services.deliver_pending() == (0, 0)  # backing off: not due yet
    mail.next_attempt_at = None
    db.session.commit()
    assert services.deliver_pending() == (1, 0)
    assert smtp.sent[0]["To"] == "qa@company.cn"
    assert "申报已退回" in smtp.sent[0]["Subject"]
    assert "/applications/1" in smtp.sent[0].get_content()


def test_rolled_back_change_sends_nothing(app, db, make_user, smtp, mail_on):
    user = make_user()
    services.notify([user], "不会发送")
    db.session.rollback()
    assert services.deliver_pending() == (0, 0)
    assert smtp.sent == []


def test_notifications_page_and_mark_read(client, login_as, db):
    user = login_as(Role.REVIEWER)
    services.notify([user], "有新的申报待审查", link="/review")
    db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert "有新的申报待审查" in page
    assert client.post("/notifications/read").status_code == 302
    assert services.unread_count(user) == 0


def test_cli_send(app, db, make_user, smtp, mail_on):
    services.notify([make_user()], "测试")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert "已发送 1 封" in result.output
