"""Benchmark: compliance pages at city and national scale (DESIGN §4; issue: 12,000 hospitals × 200 entries).

Usage:
    bash .ci/with-postgres .venv/bin/python bench/bench_compliance.py             # PostgreSQL (TEST_DATABASE_URL)
    .venv/bin/python bench/bench_compliance.py --postgres URL --hospitals 600,12000

For each size a fresh database gets one published batch of 200 entries for every hospital, with a third of the
assessments decided and the deadline passed. Timed in-process through the Flask test client as a logged-in
reviewer: the batch's compliance page, a filtered deep page, the batch list, and `assessments status --json`
(its service). The anchor, measured in the same run, is what the pages used to do: one GROUP BY over the
batch's assessments per hospital. Reported: median and p95 per request, page size, and the ratio to the anchor.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_publish import build  # noqa: E402

from portal import create_app  # noqa: E402
from portal.accounts.models import Role, User  # noqa: E402
from portal.accounts.passwords import hash_password  # noqa: E402
from portal.assessments import services, tally  # noqa: E402
from portal.assessments.models import Assessment, AssessmentTally  # noqa: E402
from portal.catalogue.models import Batch, Catalogue  # noqa: E402
from portal.core import timeutil  # noqa: E402
from portal.core.actors import COMMAND_LINE  # noqa: E402
from portal.directory.models import Hospital  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.publishing.services import publish_batch  # noqa: E402

PASSWORD = "bench-pass-2026"
ANCHOR = "anchor: GROUP BY assessments"


def prepare(entries: int, hospitals: int) -> tuple[int, float]:
    """Build, publish (timed), then age the batch past its deadline and decide a third of it."""
    batch_id = build(entries, hospitals)
    batch = db.session.get(Batch, batch_id)
    started = time.perf_counter()
    publish_batch(COMMAND_LINE, batch)
    db.session.commit()
    published = time.perf_counter() - started
    now = timeutil.utcnow()
    reviewer = User(email="reviewer@bench.example.cn", role=Role.REVIEWER, password_hash=hash_password(PASSWORD),
                    catalogues=[db.session.get(Catalogue, batch.catalogue_id)])
    db.session.add(reviewer)
    db.session.flush()
    db.session.execute(sa.text("UPDATE assessment SET due_at = due_at - interval '40 days'"))
    db.session.execute(
        sa.update(Assessment)
        .where(Assessment.id % 3 == 0)
        .values(state="decided", outcome="admitted", decided_at=now, decided_by_id=reviewer.id,
                is_late=Assessment.id % 2 == 0)
    )
    tally.refresh_batch(db.session, batch_id)  # the bulk UPDATEs above bypass the ORM on purpose
    db.session.commit()
    return batch_id, published


def old_grouping(batch_id: int, now) -> None:
    """The anchor: per-hospital counts grouped from the assessments, as the page computed them before."""
    is_open = Assessment.state.in_(tally.OPEN_STATES)
    db.session.execute(
        sa.select(Hospital, sa.func.count(Assessment.id), sa.func.sum(sa.case((is_open, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(is_open, Assessment.due_at < now), 1), else_=0)))
        .join(Assessment, Assessment.hospital_id == Hospital.id)
        .where(Assessment.batch_id == batch_id)
        .group_by(Hospital.id)
    ).all()


def timed(fn, requests: int) -> tuple[float, float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def measure(url: str, entries: int, hospitals: int, requests: int) -> dict:
    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "PORTAL_MAIL_SERVER": "",
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        batch_id, published = prepare(entries, hospitals)
        assert db.session.scalar(sa.select(sa.func.sum(AssessmentTally.total))) == entries * hospitals
        db.session.remove()
    client = app.test_client()
    assert client.post("/login", data={"email": "reviewer@bench.example.cn", "password": PASSWORD}).status_code == 302
    sizes = {}

    def page(path):
        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            sizes[path] = len(response.data)
        return get

    results = {"published": published}
    deep = f"/compliance/batches/{batch_id}?only=overdue&page={max(1, hospitals // 100)}"
    for label, fn in [
        ("batch page", page(f"/compliance/batches/{batch_id}")),
        ("filtered deep page", page(deep)),
        ("batch list", page("/compliance")),
    ]:
        results[label] = (*timed(fn, requests), sizes[next(reversed(sizes))])
    with app.app_context():
        now = timeutil.utcnow()
        few = max(3, requests // 4)
        results["status --json"] = (*timed(services.status_report, few), 0)
        results[ANCHOR] = (*timed(lambda: old_grouping(batch_id, now), few), 0)
        db.session.remove()
        db.engine.dispose()
    return results


def fresh_database(base) -> tuple[str, callable]:
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"bench_compliance_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    parser.add_argument("--postgres", default=default_url, help="PostgreSQL URL (CREATE DATABASE allowed)")
    parser.add_argument("--hospitals", default="600,12000", help="comma-separated sizes")
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    if not args.postgres:
        print("skipped: needs PostgreSQL (bash .ci/with-postgres .venv/bin/python bench/bench_compliance.py)")
        return 0
    by_size = {}
    for hospitals in (int(h) for h in args.hospitals.split(",")):
        url, drop = fresh_database(make_url(args.postgres))
        try:
            by_size[hospitals] = measure(url, args.entries, hospitals, args.requests)
        finally:
            drop()
        r = by_size[hospitals]
        anchor = r[ANCHOR][0]
        print(f"== {args.entries} entries × {hospitals:,} hospitals = {args.entries * hospitals:,} assessments "
              f"(published in {r['published']:.1f} s)")
        for label, value in r.items():
            if label == "published":
                continue
            median, p95, size = value
            extra = f", {size / 1024:.0f} KiB" if size else ""
            print(f"  {label:<30} median {median * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms{extra}"
                  f"  ({median / anchor:.2f}× anchor)")
    if len(by_size) > 1:
        small, large = min(by_size), max(by_size)
        print(f"== growth from {small:,} to {large:,} hospitals ({large / small:.0f}× the rows):")
        for label in ("batch page", "filtered deep page", "batch list", "status --json", ANCHOR):
            print(f"  {label:<30} {by_size[large][label][0] / by_size[small][label][0]:.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
