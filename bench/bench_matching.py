"""Benchmark: 医企对接 matching on SQLite, at city scale.

Run: .venv/bin/python bench/bench_matching.py [--products 10000] [--needs 300] [--rounds 5]
Measures, median of the rounds:
- a company's page of open needs that fit its products (`needs_for_company`, 40 products of its own);
- publishing one need, which finds every company with a fitting product to tell (`fitting_company_ids`).
Target: under 200 ms for the company's page, under 2 s for publishing.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.accounts.models import Role, User  # noqa: E402
from portal.core import timeutil  # noqa: E402
from portal.core.reference import DEPARTMENTS, DEVICE_KEY_AREAS, DISTRICTS  # noqa: E402
from portal.directory.identifiers import uscc_check_char  # noqa: E402
from portal.directory.models import Company, Hospital, HospitalLevel  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.matchmaking import matching, needs  # noqa: E402
from portal.matchmaking.models import Need  # noqa: E402
from portal.products.models import Product, ProductType  # noqa: E402

WORDS = [
    "超导磁共振成像系统",
    "全膝关节置换手术导航定位系统",
    "冠脉药物洗脱支架",
    "腔镜手术机器人",
    "上肢康复训练机器人",
    "动态心电监测仪",
    "质谱分析系统",
    "彩色多普勒超声诊断系统",
    "血管造影X射线机",
    "肺结节CT图像辅助检测软件",
]


def build(products: int, open_needs: int) -> User:
    rng = random.Random(7)
    hospital = Hospital(name="基准医院", district="徐汇区", level=HospitalLevel.TERTIARY, is_public=True)
    db.session.add(hospital)
    companies = []
    for c in range(products // 40):
        body = f"91310000{c:09d}"
        companies.append(
            Company(uscc=body + uscc_check_char(body), name=f"基准医疗{c}", district=rng.choice(DISTRICTS))
        )
    db.session.add_all(companies)
    db.session.flush()
    for n in range(products):
        db.session.add(
            Product(
                company_id=companies[n % len(companies)].id,
                name=f"{rng.choice(WORDS)}{n}",
                product_type=ProductType.DEVICE,
                registration_no=f"国械注准2021306{n:05d}",
                key_area=rng.choice(DEVICE_KEY_AREAS),
                departments=rng.sample(DEPARTMENTS, 2),
                indications="用于" + rng.choice(WORDS) + "相关的临床诊疗。",
            )
        )
    staff = User(email="staff@example.cn", role=Role.HOSPITAL, hospital_id=hospital.id, password_hash="x")
    db.session.add(staff)
    db.session.flush()
    until = timeutil.today_shanghai() + timedelta(days=30)
    for _ in range(open_needs):
        db.session.add(
            Need(
                hospital_id=hospital.id,
                created_by_id=staff.id,
                department=rng.choice(DEPARTMENTS),
                title=rng.choice(WORDS),
                description=f"科室需要{rng.choice(WORDS)}，用于{rng.choice(WORDS)}。",
                key_area=rng.choice(DEVICE_KEY_AREAS),
                valid_until=until,
                district=None,
            )
        )
    user = User(email="bench@example.cn", role=Role.MANUFACTURER, company_id=companies[0].id, password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


def timed(fn, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        db.session.rollback()
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"})
        with app.app_context():
            db.create_all()
            user = build(args.products, args.needs)
            sample = db.session.get(Need, 1)
            page = timed(lambda: needs.needs_for_company(user), args.rounds)
            told = timed(lambda: matching.fitting_company_ids(sample), args.rounds)
            count = len(matching.fitting_company_ids(sample))
            print(f"{args.needs} open needs, {args.products} products in {args.products // 40} companies")
            print(f"company page of fitting needs (40 products): {page:.0f} ms")
            print(f"publishing a need, companies to tell: {told:.0f} ms ({count} companies)")


if __name__ == "__main__":
    main()
