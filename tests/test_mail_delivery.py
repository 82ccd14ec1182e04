"""Mail delivery against a real (local) SMTP server: overlapping deliveries send each message once, messages
carry Date and Message-ID, and a page never waits for the SMTP server."""

import os
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from portal.accounts.models import Role
from portal.extensions import db as _db
from portal.notifications import services
from portal.notifications.models import OutboxMail
from portal.workflow import ApplicationState, BatchState
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent


class Sink:
    """Collects what the SMTP server accepted; each message takes `delay` seconds, so deliveries overlap."""

    def __init__(self, delay: float = 0.0):
        self.delay, self.messages, self._lock = delay, [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sink(app):
    handler = Sink(delay=0.02)
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config["PORTAL_MAIL_SERVER"] = f"127.0.0.1:{controller.port}"
    yield handler
    controller.stop()


def _queue(make_user, count: int) -> None:
    users = [make_user(Role.HOSPITAL, email=f"h{n}@hospital.cn") for n in range(count)]
    services.notify(users, "评估任务即将到期", "请在期限内完成评估。", "/assessments")
    _db.session.commit()


def _sent_rows() -> list[tuple]:
    _db.session.expire_all()
    return _db.session.execute(_db.select(OutboxMail.sent_at, OutboxMail.attempts)).all()


def test_two_deliveries_in_threads_at_once_send_each_message_once(app, db, make_user, sink):
    _queue(make_user, 24)
    start = threading.Barrier(2)
    results = []

    def deliver():
        with app.app_context():
            start.wait()
            results.append(services.deliver_pending(limit=100))
            _db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [m["Message-ID"] for m in sink.messages]
    print(f"\n[two threads] per delivery (sent, failed): {results}; SMTP sink received {len(ids)} for 24 rows")
    assert len(ids) == len(set(ids)) == 24
    assert sum(sent for sent, _ in results) == 24
    assert all(sent_at is not None and attempts == 1 for sent_at, attempts in _sent_rows())


def test_two_send_commands_at_once_send_each_message_once(app, db, make_user, sink):
    """As two nodes' cron jobs overlapping: two `flask notifications send` processes on one database."""
    _queue(make_user, 30)
    sink.delay = 0.1  # 3 s of sending: longer than the difference in start-up of the two processes
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_MAIL_SERVER": app.config["PORTAL_MAIL_SERVER"],
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "notifications", "send"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    ids = [m["Message-ID"] for m in sink.messages]
    print(f"\n[two processes] {outputs}; SMTP sink received {len(ids)} for 30 rows")
    assert len(ids) == len(set(ids)) == 30
    assert all(sent_at is not None and attempts == 1 for sent_at, attempts in _sent_rows())


def test_messages_carry_date_and_message_id(app, db, make_user, sink):
    _queue(make_user, 1)
    assert services.deliver_pending() == (1, 0)
    [message] = sink.messages
    row = db.session.scalar(db.select(OutboxMail))
    assert message["Date"].datetime.timestamp() == int(row.created_at.timestamp())
    assert message["Message-ID"] == f"<outbox.{row.id}.{int(row.created_at.timestamp())}@xinyou.example.cn>"
    assert message["To"] == "h0@hospital.cn" and "评估任务即将到期" in message["Subject"]


class SilentServer:
    """Accepts SMTP connections and says nothing until released, then hangs up (a stuck mail relay)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.release = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn):
        self.release.wait(60)
        conn.close()


@pytest.fixture
def ready_to_publish(db, make_catalogue, make_batch, make_application, advance_batch, make_user):
    """Three recommended applications of three companies, each with one user: the one who applied."""
    catalogue = make_catalogue()
    batch = make_batch(catalogue)
    for _ in range(3):
        make_application(batch, state=ApplicationState.RECOMMENDED)
    advance_batch(batch, BatchState.PUBLIC_NOTICE)
    return batch, make_user(Role.REVIEWER, catalogues=[catalogue])


def test_a_page_never_waits_for_the_smtp_server(app, client, db, ready_to_publish):
    batch, reviewer = ready_to_publish
    server = SilentServer()
    app.config["PORTAL_MAIL_SERVER"] = f"127.0.0.1:{server.port}"
    login(client, reviewer.email)
    started = time.monotonic()
    response = client.post(
        f"/review/batches/{batch.id}/advance", data={"action": "publish", "version_id": batch.version_id}
    )
    print(f"\n[silent relay] publishing to 3 companies answered in {time.monotonic() - started:.2f} s")
    assert response.status_code == 302
    # The page is back while the server has not said a word: nothing could have been sent or have failed.
    assert not server.release.is_set()
    assert all(row.sent_at is None and row.last_error is None for row in db.session.scalars(db.select(OutboxMail)))
    server.release.set()  # the relay hangs up: the sender thread records the failure for a retry
    deadline = time.monotonic() + 60
    while True:
        db.session.expire_all()
        rows = db.session.scalars(db.select(OutboxMail)).all()
        if len(rows) == 3 and all(row.last_error for row in rows):
            break
        assert time.monotonic() < deadline, [(r.attempts, r.last_error) for r in rows]
        time.sleep(0.1)
    assert all(row.attempts == 1 and row.sent_at is None and row.next_attempt_at for row in rows)
    server.sock.close()
