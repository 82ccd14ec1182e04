"""The search index under real gunicorn workers: several processes write at once and nothing is lost.

Three workers serve reviewers delisting entries concurrently; each request records its index change in the
outbox with the data, and whichever worker holds the writer lock applies it. Afterwards the public API (served
by any worker) must agree with the database exactly.
"""

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from portal.catalogue.models import Entry, EntryStatus
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(app, tmp_path):
    seed_demo(out=lambda *a: None)
    db.session.commit()
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "s" * 64,  # one key for every worker, so a login holds across them
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_SEARCH_INDEX_DIR": app.config["PORTAL_SEARCH_INDEX_DIR"],
        "PORTAL_UPLOAD_DIR": app.config["PORTAL_UPLOAD_DIR"],
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "3",
        "--worker-class",
        "gthread",
        "--threads",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # the master loads the app and the dictionaries before forking
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("gunicorn did not start: " + server.stderr.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=15)


def _session(base: str):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path: str, fields: dict) -> str:
        token = TOKEN.search(opener.open(base + path).read().decode()).group(1)
        body = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        return opener.open(base + path, data=body).read().decode()

    post("/login", {"email": "reviewer@demo.xinyou.cn", "password": DEMO_PASSWORD})
    return post


def _delist(post, entry_id: int) -> None:
    post(f"/review/entries/{entry_id}/delist", {"reason": "注册证已注销（并发测试）", "delisted_on": "2026-11-20"})


def _listed_ids_from_api(base: str) -> set[int]:
    with urllib.request.urlopen(base + "/api/v1/entries?per_page=100", timeout=10) as response:
        return {item["id"] for item in json.load(response)["items"]}


def test_concurrent_writes_through_gunicorn_workers_all_reach_the_index(gunicorn, db):
    entry_ids = db.session.scalars(db.select(Entry.id).order_by(Entry.id)).all()
    assert _listed_ids_from_api(gunicorn) == set(entry_ids)  # the seed's pending changes were applied
    to_delist = entry_ids[:6]
    # Logged in one after another: six logins at once from one address can outrun the login throttle (five
    # attempts per e-mail and address until a success empties it). The writes are what run concurrently.
    sessions = [_session(gunicorn) for _ in to_delist]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(_delist, sessions, to_delist))
    db.session.expire_all()
    delisted = set(db.session.scalars(db.select(Entry.id).where(Entry.status == EntryStatus.DELISTED)))
    assert delisted == set(to_delist)  # every request reached the database
    assert _listed_ids_from_api(gunicorn) == set(entry_ids) - delisted  # and the index agrees
