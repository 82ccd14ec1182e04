"""Benchmark: publishing a batch of 200 entries to 600 public hospitals (120,000 assessments).

Usage:
    .venv/bin/python bench/bench_publish.py                      # SQLite (a temporary file per run)
    .venv/bin/python bench/bench_publish.py --postgres URL       # and PostgreSQL (a fresh database per run)
    BENCH_DATABASE_URL=URL .venv/bin/python bench/bench_publish.py

Each run builds its data in a new database with bulk inserts, then times `publish_batch` and its commit
(the transaction a reviewer's click runs). The figure reported is the median of the runs. Target: < 10 s.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.accounts.models import Role, User  # noqa: E402
from portal.applications.models import Application  # noqa: E402
from portal.assessments.models import Assessment  # noqa: E402
from portal.catalogue.models import Batch, Catalogue, Entry, Scope  # noqa: E402
from portal.core import timeutil  # noqa: E402
from portal.core.actors import COMMAND_LINE  # noqa: E402
from portal.directory.identifiers import uscc_check_char  # noqa: E402
from portal.directory.models import Company, Hospital, HospitalLevel  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.products.models import DeviceClass, Product, ProductType  # noqa: E402
from portal.publishing.services import publish_batch  # noqa: E402
from portal.workflow import ApplicationState, BatchState  # noqa: E402

ENTRIES = 200
HOSPITALS = 600
RUNS = 3
TARGET_SECONDS = 10.0


def build(entries: int, hospitals: int) -> int:
    """Bulk-insert the data of one publication; returns the batch id."""
    now = timeutil.utcnow()
    session = db.session
    session.execute(
        sa.insert(Hospital),
        [
            {
                "name": f"基准医院{i:04d}",
                "district": "浦东新区",
                "level": HospitalLevel.SECONDARY,
                "is_public": True,
                "created_at": now,
            }
            for i in range(hospitals)
        ],
    )
    session.execute(
        sa.insert(Hospital),
        [{"name": "基准民营医院", "district": "浦东新区", "level": HospitalLevel.SECONDARY, "is_public": False}],
    )
    companies = []
    for i in range(entries):
        body = f"91310115{i:09d}"
        companies.append({"uscc": body + uscc_check_char(body), "name": f"基准医疗科技有限公司{i:04d}"})
    session.execute(sa.insert(Company), companies)
    company_ids = session.scalars(sa.select(Company.id).order_by(Company.id)).all()
    session.execute(
        sa.insert(User),
        [
            {
                "email": f"company{i}@bench.example.cn",
                "password_hash": "not-a-real-hash",
                "role": Role.MANUFACTURER,
                "company_id": cid,
                "session_token": uuid.uuid4().hex,
            }
            for i, cid in enumerate(company_ids)
        ],
    )
    session.execute(
        sa.insert(Product),
        [
            {
                "company_id": cid,
                "name": f"基准超导磁共振成像系统{i:04d}",
                "model": f"uMR-{i}",
                "product_type": ProductType.DEVICE,
                "registration_no": f"国械注准2021306{i:04d}",
                "device_class": DeviceClass.III,
                "key_area": "高端医学影像",
                "departments": ["医学影像科"],
                "indications": "用于磁共振成像检查。",
            }
            for i, cid in enumerate(company_ids)
        ],
    )
    catalogue = Catalogue(code="BENCH", name="基准目录", scope=Scope.CITY, deadline_days=30, notice_days=7)
    session.add(catalogue)
    session.flush()
    batch = Batch(
        catalogue_id=catalogue.id,
        name="基准批",
        state=BatchState.PUBLIC_NOTICE,
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=30),
        notice_starts_at=now - timedelta(days=8),
        notice_ends_at=now - timedelta(days=1),
    )
    session.add(batch)
    session.flush()
    products = session.execute(sa.select(Product.id, Product.company_id).order_by(Product.id)).all()
    session.execute(
        sa.insert(Application),
        [
            {
                "batch_id": batch.id,
                "product_id": pid,
                "company_id": cid,
                "state": ApplicationState.RECOMMENDED,
                "round": 1,
                "submitted_at": now - timedelta(days=40),
                "decided_at": now - timedelta(days=10),
            }
            for pid, cid in products
        ],
    )
    session.commit()
    return batch.id


def one_run(url: str, entries: int, hospitals: int) -> tuple[float, int, int]:
    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "PORTAL_MAIL_SERVER": ""})
    with app.app_context():
        db.create_all()
        batch_id = build(entries, hospitals)
        db.session.remove()  # start the timed part with nothing cached, like a new request
        batch = db.session.get(Batch, batch_id)
        started = time.perf_counter()
        result = publish_batch(COMMAND_LINE, batch)
        db.session.commit()
        elapsed = time.perf_counter() - started
        n_entries = db.session.scalar(sa.select(sa.func.count(Entry.id)))
        n_assessments = db.session.scalar(sa.select(sa.func.count(Assessment.id)))
        assert (result.entries, result.assessments) == (n_entries, n_assessments) == (entries, entries * hospitals)
        db.session.remove()
        db.engine.dispose()
    return elapsed, n_entries, n_assessments


def sqlite_runs(runs: int, entries: int, hospitals: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
            elapsed, *_ = one_run(f"sqlite:///{tmp}/bench.sqlite3", entries, hospitals)
            times.append(elapsed)
    return times


def postgres_runs(url: str, runs: int, entries: int, hospitals: int) -> list[float]:
    """A fresh database per run, created beside the one `url` names (which must allow CREATE DATABASE)."""
    base = make_url(url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    times = []
    try:
        for _ in range(runs):
            name = f"bench_publish_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                elapsed, *_ = one_run(base.set(database=name).render_as_string(hide_password=False), entries, hospitals)
                times.append(elapsed)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()
    return times


def report(label: str, times: list[float], entries: int, hospitals: int) -> bool:
    median = statistics.median(times)
    ok = median < TARGET_SECONDS
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(
        f"{label:<11} {entries} entries × {hospitals} hospitals = {entries * hospitals:,} assessments: "
        f"median {median:.2f} s (runs: {runs} s) — {'OK' if ok else 'SLOWER THAN'} target {TARGET_SECONDS:.0f} s"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL"), help="PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    parser.add_argument("--hospitals", type=int, default=HOSPITALS)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_sqlite:
        ok &= report("SQLite", sqlite_runs(args.runs, args.entries, args.hospitals), args.entries, args.hospitals)
    if args.postgres:
        times = postgres_runs(args.postgres, args.runs, args.entries, args.hospitals)
        ok &= report("PostgreSQL", times, args.entries, args.hospitals)
    else:
        print("PostgreSQL: skipped (give --postgres URL or set BENCH_DATABASE_URL)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
