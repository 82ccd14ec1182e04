"""Benchmark: a hospital's assessment queue of 3,000 items on SQLite, through the Flask test client.

Run: .venv/bin/python bench/bench_queue.py [--requests 50]
Prints the median and 95th percentile per request for the first page, filters, search, sorting and a deep page.
Target: under 200 ms per request.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from portal import create_app  # noqa: E402
from portal.accounts.models import Role, User  # noqa: E402
from portal.accounts.passwords import hash_password  # noqa: E402
from portal.assessments.creation import create_assessments  # noqa: E402
from portal.assessments.models import Assessment, Outcome  # noqa: E402
from portal.catalogue.models import Batch, Catalogue, Entry, Scope  # noqa: E402
from portal.core import timeutil  # noqa: E402
from portal.core.reference import DEPARTMENTS, DEVICE_KEY_AREAS  # noqa: E402
from portal.directory.identifiers import uscc_check_char  # noqa: E402
from portal.directory.models import Company, Hospital, HospitalLevel  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.products.models import DeviceClass, InnovativeReview, Product, ProductType  # noqa: E402
from portal.workflow import AssessmentState, BatchState  # noqa: E402

ITEMS = 3000
BATCHES = 6
PASSWORD = "bench-pass-2026"
NAMES = [
    "超导磁共振成像系统",
    "全膝关节置换手术导航定位系统",
    "冠脉药物洗脱支架",
    "腔镜手术机器人",
    "上肢康复训练机器人",
]

SCENARIOS = [
    ("首页（逾期优先）", "/assessments"),
    ("筛选：未完成 + 重点领域", "/assessments?state=open&key_area=高端医学影像"),
    ("筛选：科室", "/assessments?department=骨科"),
    ("筛选：已逾期", "/assessments?state=overdue"),
    ("搜索：产品名称", "/assessments?q=磁共振"),
    ("搜索：注册证编号", "/assessments?q=国械注准2021306012"),
    ("排序：产品名称", "/assessments?sort=name"),
    ("批次 + 第 8 页", "/assessments?batch=3&page=8"),
    ("首页看板", "/"),
]


def build(app) -> str:
    with app.app_context():
        db.create_all()
        catalogue = Catalogue(code="BENCH", name="基准目录", scope=Scope.CITY)
        hospital = Hospital(name="基准医院", district="徐汇区", level=HospitalLevel.TERTIARY, is_public=True)
        db.session.add_all([catalogue, hospital])
        db.session.flush()
        user = User(
            email="bench@example.cn", role=Role.HOSPITAL, hospital_id=hospital.id, password_hash=hash_password(PASSWORD)
        )
        db.session.add(user)
        companies = []
        for c in range(60):
            body = f"91310000{c:09d}"
            companies.append(Company(uscc=body + uscc_check_char(body), name=f"基准医疗科技有限公司{c}"))
        db.session.add_all(companies)
        db.session.flush()
        today = timeutil.today_shanghai()
        per_batch = ITEMS // BATCHES
        n = 0
        for b in range(BATCHES):
            published_on = today - timedelta(days=5 + 10 * b)  # older batches are overdue
            batch = Batch(
                catalogue_id=catalogue.id,
                name=f"第{b + 1}批",
                state=BatchState.PUBLISHED,
                published_on=published_on,
                published_at=timeutil.start_of_day_shanghai(published_on),
            )
            db.session.add(batch)
            db.session.flush()
            products, entries = [], []
            for _ in range(per_batch):
                n += 1
                company = companies[n % len(companies)]
                products.append(
                    Product(
                        company_id=company.id,
                        name=f"{NAMES[n % len(NAMES)]}{n}",
                        model=f"BM-{n}",
                        product_type=ProductType.DEVICE,
                        registration_no=f"国械注准2021306{n:04d}",
                        device_class=DeviceClass.III,
                        key_area=DEVICE_KEY_AREAS[n % len(DEVICE_KEY_AREAS)],
                        departments=[DEPARTMENTS[n % len(DEPARTMENTS)], DEPARTMENTS[(n * 7) % len(DEPARTMENTS)]],
                        innovative_review=InnovativeReview.NONE,
                    )
                )
            db.session.add_all(products)
            db.session.flush()
            for p in products:
                company = next(c for c in companies if c.id == p.company_id)
                entries.append(
                    Entry(
                        catalogue_id=catalogue.id,
                        batch_id=batch.id,
                        product_id=p.id,
                        listed_on=published_on,
                        product_name=p.name,
                        model=p.model,
                        registration_no=p.registration_no,
                        manufacturer=company.name,
                        product_type="device",
                        device_class="III",
                        key_area=p.key_area,
                        departments=p.departments,
                    )
                )
            db.session.add_all(entries)
            db.session.flush()
            create_assessments(batch, published_on)
        # A third decided, so the states are mixed.
        now = timeutil.utcnow()
        db.session.execute(
            sa.update(Assessment)
            .where(Assessment.id % 3 == 0)
            .values(state=AssessmentState.DECIDED, outcome=Outcome.ADMITTED, decided_at=now, decided_by_id=user.id)
        )
        db.session.commit()
        count = db.session.scalar(sa.select(sa.func.count(Assessment.id)).where(Assessment.hospital_id == hospital.id))
        assert count == ITEMS, count
        return user.email


def measure(client, url: str, requests: int) -> tuple[float, float]:
    client.get(url)  # warm caches (templates, statements)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "PORTAL_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "PORTAL_SEARCH_INDEX_DIR": f"{tmp}/index",
                "PORTAL_UPLOAD_DIR": f"{tmp}/uploads",
                "WTF_CSRF_ENABLED": False,
            }
        )
        started = time.perf_counter()
        email = build(app)
        print(f"建立数据：{ITEMS} 项评估任务，用时 {time.perf_counter() - started:.1f} 秒（SQLite）")
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        worst = 0.0
        print(f"{'场景':<24}{'中位数 ms':>10}{'P95 ms':>10}")
        for label, url in SCENARIOS:
            median, p95 = measure(client, url, args.requests)
            worst = max(worst, p95)
            print(f"{label:<24}{median:>10.1f}{p95:>10.1f}")
        verdict = "达标" if worst < 200 else "未达标"
        print(f"最差 P95 {worst:.1f} ms，目标 < 200 ms：{verdict}")
        return 0 if worst < 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
