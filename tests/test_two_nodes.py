"""Two app nodes on one database, as behind a load balancer: two gunicorn servers with their own index and
upload folders and the same SECRET_KEY. A change made through either one is found by the other's search
without anyone searching there first (its poller applies it), a session and the login throttle hold across
both (the throttle counts audit rows in the database), and (on PostgreSQL, where attachments live in the
database) a PDF uploaded through one downloads from the other. The catch-up delays are printed (pytest -s)
for the issue's note."""

import http.cookiejar
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from portal import create_app
from portal.audit.models import AuditEvent
from portal.catalogue.models import Entry
from portal.core.outbox import IndexChange
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db as _db
from portal.products.models import Attachment, Product
from portal.search.cursor import FILE_NAME, Cursor

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CATCH_UP_LIMIT = 10.0  # generous for a busy 2-core machine; the measured delays are printed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(app, tmp_path, name: str):
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "n" * 64,  # the same on every node: a session signed by one is valid on the other
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_SEARCH_INDEX_DIR": str(tmp_path / name / "index"),
        "PORTAL_UPLOAD_DIR": str(tmp_path / name / "uploads"),
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread", "--threads", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return server, f"http://127.0.0.1:{port}", tmp_path / name / "index"


def _wait_up(server, base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("gunicorn did not start: " + server.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)


@pytest.fixture
def nodes(app, db, tmp_path):
    seed_demo(out=lambda *a: None)
    db.session.commit()
    started = [_start(app, tmp_path, name) for name in ("node-a", "node-b")]
    try:
        for server, base, _ in started:
            _wait_up(server, base)
            _listed_ids(base)  # the first search builds this node's index; the first request starts its poller
        yield [(base, index) for _, base, index in started]
    finally:
        for server, _, _ in started:
            server.terminate()
            server.wait(timeout=15)


class Browser:
    """One cookie jar for both nodes (cookies do not depend on the port), as a load balancer would route."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str) -> bytes:
        return self.opener.open(url, timeout=20).read()

    def post(self, url: str, fields: dict, files: dict | None = None, token_from: str | None = None) -> str:
        token = TOKEN.search(self.get(token_from or url).decode()).group(1)
        fields = {**fields, "csrf_token": token}
        if files:
            body, kind = _multipart(fields, files)
            request = urllib.request.Request(url, data=body, headers={"Content-Type": kind})
        else:
            request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode())
        try:
            return self.opener.open(request, timeout=20).read().decode()
        except urllib.error.HTTPError as exc:
            return exc.read().decode()


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    for key, (filename, data) in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{filename}"\r\n'
        parts.append(head.encode() + b"Content-Type: application/pdf\r\n\r\n" + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _listed_ids(base: str) -> set[int]:
    with urllib.request.urlopen(base + "/api/v1/entries?per_page=100", timeout=20) as response:
        return {item["id"] for item in json.load(response)["items"]}


def _applied(index_dir: Path, change_id: int) -> bool:
    try:
        cursor = Cursor.loads((index_dir / "current" / FILE_NAME).read_text())
    except (FileNotFoundError, ValueError):
        return False
    return not cursor.is_new(change_id)


def test_a_change_through_either_node_is_searchable_on_the_other(nodes, db):
    (a, a_index), (b, b_index) = nodes
    reviewer = Browser()
    reviewer.post(a + "/login", {"email": "reviewer@demo.xinyou.cn", "password": DEMO_PASSWORD})
    entry_ids = db.session.scalars(db.select(Entry.id).order_by(Entry.id)).all()
    delays = []
    for (writer, _), (reader, reader_index), entry_id in (
        ((a, a_index), (b, b_index), entry_ids[0]),
        ((b, b_index), (a, a_index), entry_ids[1]),
    ):
        # Logged in through node A, the same session also works on node B.
        page = reviewer.post(
            f"{writer}/review/entries/{entry_id}/delist",
            {"reason": "注册证已注销（双节点测试）", "delisted_on": "2026-11-20"},
        )
        assert "登录" not in page[:200]
        changed = time.monotonic()
        db.session.expire_all()
        change_id = db.session.scalar(
            db.select(db.func.max(IndexChange.id)).where(
                IndexChange.doc_id == entry_id, IndexChange.doc_type == "entry"
            )
        )
        assert change_id is not None
        while not _applied(reader_index, change_id):  # nobody searches on the reader meanwhile
            assert time.monotonic() - changed < CATCH_UP_LIMIT, "the idle node did not catch up"
            time.sleep(0.02)
        delays.append(time.monotonic() - changed)
        assert entry_id not in _listed_ids(reader)
    print(f"\n[two nodes] idle B caught up with a change through A in {delays[0]:.2f} s, A with B in {delays[1]:.2f} s")
    _login_throttle_counts_failures_on_both_nodes(a, b)


def _login_throttle_counts_failures_on_both_nodes(a: str, b: str) -> None:
    for n in range(5):  # PORTAL_LOGIN_MAX_FAILURES: alternately through each node
        Browser().post((a, b)[n % 2] + "/login", {"email": "hospital@demo.xinyou.cn", "password": "wrong-password"})
    page = Browser().post(b + "/login", {"email": "hospital@demo.xinyou.cn", "password": DEMO_PASSWORD})
    assert "登录失败次数过多" in page


@pytest.fixture
def postgres(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several nodes share PostgreSQL (and their attachments in it); SQLite serves one machine")


@pytest.mark.postgres_only
def test_a_pdf_uploaded_through_one_node_downloads_from_the_other(postgres, nodes, db):
    (a, _), (b, _) = nodes
    company = Browser()
    company.post(a + "/login", {"email": "company@demo.xinyou.cn", "password": DEMO_PASSWORD})
    product_id = db.session.scalar(
        db.select(Product.id).join(Product.company).where(Product.company.has(short_name="联影"))
    )
    data = b"%PDF-1.4\n" + secrets.token_bytes(600_000)  # 3 chunks of 256 KB
    company.post(
        f"{a}/products/{product_id}/attachments",
        {"kind": "注册证"},
        files={"file": ("双节点.pdf", data)},
        token_from=f"{a}/products/{product_id}",
    )
    db.session.expire_all()
    attachment = db.session.scalar(db.select(Attachment).where(Attachment.size == len(data)))
    assert attachment is not None and attachment.product_id == product_id
    assert company.get(f"{b}/attachments/{attachment.id}") == data
    assert company.get(f"{a}/attachments/{attachment.id}") == data


@pytest.mark.postgres_only
def test_two_nodes_seeding_the_demo_at_once_both_start(postgres, app, db):
    """`make run` on two nodes at once: one seeds, the other waits for it and skips (it used to crash on the
    duplicate rows, and its gunicorn never started)."""
    env = {**os.environ, "PORTAL_ENV": "testing", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "seed", "--if-empty"]
    procs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in (1, 2)
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sum("跳过演示数据" in out for out in outputs) == 1


@pytest.fixture
def behind_one_proxy(app_config):
    return create_app({**app_config, "PORTAL_PROXY_HOPS": 1})


def test_behind_the_load_balancer_limits_count_per_client(behind_one_proxy, db, make_user):
    """With PORTAL_PROXY_HOPS=1 the login throttle and objection limit see the client, not the balancer."""
    user = make_user()
    client = behind_one_proxy.test_client()
    client.post("/login", data={"email": user.email, "password": "wrong"}, headers={"X-Forwarded-For": "203.0.113.7"})
    with behind_one_proxy.app_context():
        ips = _db.session.scalars(_db.select(AuditEvent.ip).where(AuditEvent.action == "login.failure")).all()
    assert ips == ["203.0.113.7"]


@pytest.mark.postgres_only
def test_two_nodes_upgrading_an_empty_database_at_once_both_succeed(postgres, empty_database_url):
    env = {**os.environ, "PORTAL_ENV": "testing", "DATABASE_URL": empty_database_url}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    procs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in (1, 2)
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [out[-1500:] for out in outputs]
