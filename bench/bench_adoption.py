"""Benchmark: the supervisors' dashboard at national scale, 12,000 public hospitals × 200 entries
(2.4 million assessments, with equipping and three months of use reports for a share of them), on PostgreSQL.

Usage:
    .venv/bin/python bench/bench_adoption.py --postgres URL      # a fresh database beside the one URL names
    BENCH_DATABASE_URL=URL .venv/bin/python bench/bench_adoption.py
    bash .ci/with-postgres sh -c '.venv/bin/python bench/bench_adoption.py --postgres "$TEST_DATABASE_URL"'

The data is built with set-based INSERT … SELECT (generate_series) and the batch's rollups are computed as
publishing computes them (timed: publishing pays it once), then the dashboard page is requested
through the Flask test client as a city supervisor and as a district supervisor, and the export once. The
figure reported is the median of the runs of each page.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.accounts.models import Role, User  # noqa: E402
from portal.adoption.rollup import refresh  # noqa: E402
from portal.catalogue.models import Batch, Catalogue, Scope  # noqa: E402
from portal.core import timeutil  # noqa: E402
from portal.core.reference import DISTRICTS  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.workflow import BatchState  # noqa: E402

HOSPITALS = 12_000
ENTRIES = 200
RUNS = 3
PASSWORD = "bench-password-2026"

# Hospitals spread over the 16 districts; entries of one published batch; assessments with a mix of
# outcomes, late and overdue ones; equipping for half of the admitted; 3 months of use for those equipped.
BUILD_SQL = [
    """INSERT INTO hospital (name, district, level, is_public, created_at)
       SELECT '基准医院' || g, (ARRAY[{districts}])[1 + g % 16], 'secondary', true, now()
       FROM generate_series(1, :hospitals) g""",
    """INSERT INTO company (uscc, name, short_name, address, contact_name, contact_phone, created_at)
       VALUES ('91310115000000001X', '基准医疗科技有限公司', '', '', '', '', now())""",
    """INSERT INTO product (company_id, name, model, product_type, registration_no, device_class, key_area,
                            departments, indications, description, innovative_review, track, insurance_code,
                            created_at, updated_at, version_id)
       SELECT (SELECT id FROM company LIMIT 1), '基准产品' || g, 'M-' || g, 'device',
              '国械注准2021306' || lpad(g::text, 4, '0'), 'III', '高端医学影像', '["医学影像科"]', '', '',
              'none', 'innovative', '', now(), now(), 1
       FROM generate_series(1, :entries) g""",
    """INSERT INTO entry (catalogue_id, batch_id, product_id, status, listed_on, product_name, model,
                          registration_no, manufacturer, product_type, device_class, key_area, departments,
                          innovative_review, indications, description, created_at)
       SELECT :catalogue, :batch, p.id, 'listed', :published_on, p.name, p.model, p.registration_no,
              '基准医疗科技有限公司', 'device', 'III', '高端医学影像', '["医学影像科"]', 'none', '', '', now()
       FROM product p""",
    """INSERT INTO assessment (hospital_id, entry_id, batch_id, state, due_at, outcome, reason, decided_at,
                               decided_by_id, is_late, created_at, version_id)
       SELECT h.id, e.id, :batch,
              CASE WHEN (h.id + e.id) % 10 < 7 THEN 'decided' WHEN (h.id + e.id) % 10 = 7 THEN 'in_review'
                   ELSE 'pending' END,
              :due_at,
              CASE WHEN (h.id + e.id) % 10 < 7 THEN (ARRAY['admitted','admitted','declined','not_applicable'])
                   [1 + (h.id * 7 + e.id) % 4] END,
              CASE WHEN (h.id + e.id) % 10 < 7 AND (h.id * 7 + e.id) % 4 >= 2 THEN '基准理由' END,
              CASE WHEN (h.id + e.id) % 10 < 7 THEN :published_at + ((h.id + e.id) % 45) * interval '1 day' END,
              CASE WHEN (h.id + e.id) % 10 < 7 THEN :user END,
              (h.id + e.id) % 10 < 7 AND (h.id + e.id) % 45 > 30,
              now(), 1
       FROM hospital h CROSS JOIN entry e""",
    """INSERT INTO equipping (assessment_id, equipped_on, route, note, uses_total, recorded_by_id, recorded_at)
       SELECT id, (decided_at + interval '10 days')::date, 'tender', '', 0, :user, now()
       FROM assessment WHERE outcome = 'admitted' AND id % 2 = 0""",
    """INSERT INTO usage_report (assessment_id, month, uses, reported_by_id, reported_at)
       SELECT q.assessment_id, to_char(q.equipped_on + m * interval '1 month', 'YYYY-MM'), (q.assessment_id + m) % 30,
              :user, now()
       FROM equipping q CROSS JOIN generate_series(0, 2) m""",
    """UPDATE equipping SET uses_total = u.total
       FROM (SELECT assessment_id, sum(uses) AS total FROM usage_report GROUP BY assessment_id) u
       WHERE u.assessment_id = equipping.assessment_id""",
]


def build(hospitals: int, entries: int) -> tuple[int, str]:
    now = timeutil.utcnow()
    published_on = timeutil.today_shanghai(now) - timedelta(days=120)
    catalogue = Catalogue(code="BENCH", name="基准目录", scope=Scope.CITY, deadline_days=30, notice_days=7)
    db.session.add(catalogue)
    db.session.flush()
    batch = Batch(
        catalogue_id=catalogue.id,
        name="基准批",
        state=BatchState.PUBLISHED,
        published_on=published_on,
        published_at=timeutil.start_of_day_shanghai(published_on),
    )
    from portal.accounts.passwords import hash_password

    supervisor = User(email="city@bench.cn", role=Role.SUPERVISOR, password_hash=hash_password(PASSWORD))
    district = User(
        email="pd@bench.cn", role=Role.SUPERVISOR, district="浦东新区", password_hash=hash_password(PASSWORD)
    )
    db.session.add_all([batch, supervisor, district])
    db.session.flush()
    params = {
        "hospitals": hospitals,
        "entries": entries,
        "catalogue": catalogue.id,
        "batch": batch.id,
        "published_on": published_on,
        "published_at": batch.published_at,
        "due_at": timeutil.due_at(published_on, 30),
        "user": supervisor.id,
    }
    districts = ", ".join(f"'{d}'" for d in DISTRICTS)
    for statement in BUILD_SQL:
        started = time.perf_counter()
        sql = statement.replace("{districts}", districts)
        names = [name for name in params if f":{name}" in sql]
        db.session.execute(sa.text(sql), {name: params[name] for name in names})
        print(f"  built {sql.split()[2]:<14} in {time.perf_counter() - started:6.1f} s", flush=True)
    db.session.commit()
    started = time.perf_counter()
    refresh(db.session, batch.id)  # what publishing does at its commit (the assessments_created signal)
    db.session.commit()
    print(f"  rollups of the whole batch in {time.perf_counter() - started:6.1f} s (paid once by publishing)")
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return batch.id, catalogue.code


def timed(client, url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return times


def run(url: str, hospitals: int, entries: int, runs: int) -> None:
    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        print(f"Building {hospitals:,} hospitals × {entries} entries = {hospitals * entries:,} assessments …")
        batch_id, code = build(hospitals, entries)
        db.session.remove()
    for email, label in (("city@bench.cn", "city supervisor"), ("pd@bench.cn", "district supervisor (浦东新区)")):
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        page = f"/supervision?catalogue={code}&batch={batch_id}"
        times = timed(client, page, runs)
        runs_text = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label:<30} dashboard: median {statistics.median(times):.2f} s (runs: {runs_text} s)")
    times = timed(client, f"/supervision/export.xlsx?catalogue={code}&batch={batch_id}", 1)
    print(f"{'district supervisor':<30} XLSX export: {times[0]:.2f} s")
    with app.app_context():
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL"), help="PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--hospitals", type=int, default=HOSPITALS)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    args = parser.parse_args()
    if not args.postgres:
        print("PostgreSQL only: give --postgres URL or set BENCH_DATABASE_URL")
        return 0
    base = make_url(args.postgres)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"bench_adoption_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        run(base.set(database=name).render_as_string(hide_password=False), args.hospitals, args.entries, args.runs)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
