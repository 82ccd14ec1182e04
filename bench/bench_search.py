"""Search benchmark (issue 6): Whoosh (this portal) vs plain SQL LIKE vs SQLite FTS5 trigram.

    .venv/bin/python bench/bench_search.py --sizes 10000 50000

For each size: a fresh SQLite database with N synthetic entries, the index build time, then p50/p95 of 100
realistic queries in-process (the service the pages and API call, with and without facets; first with the
pages kept per index generation dropped before every query, then with them kept, as a server runs), over HTTP (a real
werkzeug server on 127.0.0.1, `GET /api/v1/entries?q=`), with LIKE and with FTS5 trigram; recall of single
words against LIKE (LIKE ⊆ ours) and correctness of multi-word queries (every word somewhere in the entry).
"""

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PORTAL_ENV", "development")
import logging  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.WARNING)

from sqlalchemy import insert  # noqa: E402

from portal import create_app  # noqa: E402
from portal.catalogue.models import Batch, Catalogue, Entry, Scope  # noqa: E402
from portal.core.reference import DEVICE_KEY_AREAS  # noqa: E402
from portal.directory.models import Company  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.products.models import Product  # noqa: E402
from portal.search import index as idx  # noqa: E402
from portal.search import indexer, services  # noqa: E402
from portal.search.query import Q, build_query  # noqa: E402
from portal.workflow import BatchState  # noqa: E402

PREFIXES = [
    "超导",
    "数字化",
    "便携式",
    "全自动",
    "一次性使用",
    "经导管",
    "植入式",
    "医用",
    "彩色多普勒",
    "高频",
    "智能",
    "可吸收",
    "三维",
    "",
]
CORES = [
    "磁共振成像系统",
    "X射线计算机体层摄影设备",
    "超声诊断系统",
    "主动脉瓣膜系统",
    "冠脉药物洗脱支架系统",
    "全膝关节置换手术导航定位系统",
    "射频消融导管",
    "血管造影X射线机",
    "电子直线加速器",
    "上肢康复训练机器人",
    "核酸检测试剂盒",
    "腔镜手术机器人",
    "人工晶状体",
    "心脏起搏器",
    "连续血糖监测系统",
    "骨科手术机器人",
    "正电子发射及X射线计算机断层成像扫描系统",
    "肺结节CT图像辅助检测软件",
    "胸腔引流装置",
    "颅内取栓支架",
    "人工髋关节假体",
    "血液透析滤过器",
    "内窥镜摄像系统",
    "二尖瓣夹合系统",
    "神经刺激器",
]
DEPARTMENTS = [
    "医学影像科",
    "心血管内科",
    "神经外科",
    "骨科",
    "关节外科",
    "超声科",
    "核医学科",
    "肿瘤科",
    "放射治疗科",
    "康复医学科",
    "检验科",
    "普通外科",
    "泌尿外科",
    "眼科",
    "内分泌科",
    "呼吸内科",
    "急诊科",
    "肾内科",
]
AREAS = DEVICE_KEY_AREAS[:-1]  # the seven established areas
DISTRICTS = ["浦东新区", "嘉定区", "徐汇区", "闵行区", "宝山区", "松江区", "青浦区", None]
BRANDS = ["uMR", "uCT", "uMI", "Firehawk", "VitaFlow", "SkyWalker", "Toumai", "ArmMotus", "Alpha", "Neo", "Pro"]
COMPANY_WORDS = [
    "联影",
    "微创",
    "心通",
    "傅利叶",
    "之江",
    "臻远",
    "宝岳",
    "康德",
    "瑞影",
    "申科",
    "博睿",
    "安盛",
    "恒泰",
    "启明",
    "华科",
    "佳诚",
    "新元",
    "同济",
    "明峰",
    "睿视",
]
DESC = [
    "供临床进行{d}检查。",
    "用于{d}的诊断与治疗。",
    "适用于{d}患者，具有低剂量、高分辨率特点。",
    "配合{brand}平台使用。",
]

QUERY_WORDS = [
    "磁共振",
    "关节",
    "动脉瓣",
    "断层扫描",
    "超声",
    "支架",
    "消融",
    "加速器",
    "机器人",
    "试剂盒",
    "晶状体",
    "起搏器",
    "血糖",
    "取栓",
    "髋关节",
    "透析",
    "内窥镜",
    "二尖瓣",
    "刺激器",
    "引流",
]
QUERY_OTHER = [
    "uMR",
    "3.0T",
    "PET-CT",
    "国械注准2021",
    "国械注准2023306",
    "联影",
    "微创",
    "心血管内科",
    "医学影像科",
    "骨科",
]
QUERY_MULTI = [
    "联影 磁共振",
    "超导 磁共振",
    "微创 支架",
    "心血管内科 消融",
    "骨科 机器人",
    "3.0T 磁共振",
    "联影 uCT",
    "经导管 瓣膜",
    "便携式 超声",
    "医学影像科 断层扫描",
]


def synthesize(n: int, seed: int = 7):
    rnd = random.Random(seed)
    companies = []
    for i in range(max(20, n // 50)):
        short = COMPANY_WORDS[i % len(COMPANY_WORDS)] + ("" if i < len(COMPANY_WORDS) else str(i))
        companies.append(
            {
                "id": i + 1,
                "name": f"上海{short}医疗科技有限公司",
                "short_name": short,
                "district": rnd.choice(DISTRICTS),
                "uscc": f"91310000{i:09d}X",
            }
        )
    entries = []
    for i in range(n):
        core = rnd.choice(CORES)
        name = rnd.choice(PREFIXES) + core
        brand = rnd.choice(BRANDS)
        field = (
            "1.5T"
            if "磁共振" in core and rnd.random() < 0.5
            else ("3.0T" if "磁共振" in core else f"{rnd.randint(1, 9)}.0mm")
        )
        model = f"{brand} {rnd.randint(100, 990)} / {field}" + (" (PET-CT)" if "正电子" in core else "")
        company = rnd.choice(companies)
        depts = rnd.sample(DEPARTMENTS, rnd.randint(1, 3))
        year = rnd.randint(2014, 2025)
        reg = f"国械注准{year}3{(i // 10000) * 4 + rnd.randint(1, 4):02d}{i % 10000:04d}"  # unique: serial + category
        desc = rnd.choice(DESC).format(d="、".join(depts), brand=brand) + f"兼容{rnd.choice(COMPANY_WORDS)}设备。"
        entries.append(
            dict(
                id=i + 1,
                name=name,
                model=model,
                reg=reg,
                company=company,
                departments=depts,
                area=rnd.choice(AREAS),
                description=desc,
                innovative=rnd.choice(["none", "national", "shanghai"]),
                listed_on=date(2020, 1, 1) + timedelta(days=rnd.randint(0, 2000)),
            )
        )
    return companies, entries


def load(companies, entries):
    db.session.execute(insert(Catalogue), [dict(id=1, code="SH-B", name="基准目录", scope=Scope.CITY)])
    db.session.execute(
        insert(Batch), [dict(id=b, catalogue_id=1, name=f"第{b}批", state=BatchState.PUBLISHED) for b in range(1, 7)]
    )
    db.session.execute(insert(Company), [dict(c) for c in companies])
    db.session.execute(
        insert(Product),
        [
            dict(
                id=e["id"],
                company_id=e["company"]["id"],
                name=e["name"],
                model=e["model"],
                product_type="device",
                registration_no=e["reg"],
                departments=e["departments"],
            )
            for e in entries
        ],
    )
    db.session.execute(
        insert(Entry),
        [
            dict(
                id=e["id"],
                catalogue_id=1,
                batch_id=1 + e["id"] % 6,
                product_id=e["id"],
                listed_on=e["listed_on"],
                product_name=e["name"],
                model=e["model"],
                registration_no=e["reg"],
                manufacturer=e["company"]["name"],
                product_type="device",
                device_class="III",
                key_area=e["area"],
                departments=e["departments"],
                innovative_review=e["innovative"],
                indications="",
                description=e["description"],
                status="listed",
            )
            for e in entries
        ],
    )
    db.session.commit()


def pct(samples):
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


def timed(fn, queries, repeat=1):
    fn(queries[0])  # warm
    samples = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            samples.append(time.perf_counter() - t)
    return pct(samples)


# departments is JSON (CJK \u-escaped) in the entry table: LIKE gets a plain-text copy, as a LIKE portal would keep.
LIKE_COLUMNS = ["product_name", "model", "registration_no", "manufacturer", "dept_text", "description"]


def add_dept_text(conn, entries):
    conn.execute("ALTER TABLE entry ADD COLUMN dept_text TEXT")
    conn.executemany(
        "UPDATE entry SET dept_text = ? WHERE id = ?", [("、".join(e["departments"]), e["id"]) for e in entries]
    )
    conn.commit()


def like_ids(conn, text, limit=None):
    words = text.split()
    where = " AND ".join("(" + " OR ".join(f"{c} LIKE ?" for c in LIKE_COLUMNS) + ")" for _ in words)
    params = [f"%{w}%" for w in words for _ in LIKE_COLUMNS]
    sql = f"SELECT id FROM entry WHERE {where} AND status='listed' ORDER BY listed_on DESC"
    if limit:
        total = conn.execute(f"SELECT count(*) FROM entry WHERE {where} AND status='listed'", params).fetchone()[0]
        return total, [r[0] for r in conn.execute(sql + f" LIMIT {limit}", params)]
    return {r[0] for r in conn.execute(sql, params)}


def fts_setup(conn):
    t = time.perf_counter()
    conn.execute(f"CREATE VIRTUAL TABLE entry_fts USING fts5({', '.join(LIKE_COLUMNS)}, tokenize='trigram')")
    conn.execute(
        f"INSERT INTO entry_fts(rowid, {', '.join(LIKE_COLUMNS)}) SELECT id, {', '.join(LIKE_COLUMNS)} FROM entry"
    )
    conn.commit()
    return time.perf_counter() - t


def fts_query(conn, text):
    words = text.split()
    long = [w for w in words if len(w) >= 3]
    short = [w for w in words if len(w) < 3]
    clauses, params = [], []
    if long:
        clauses.append("entry_fts MATCH ?")
        params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long))
    for w in short:  # trigram cannot index 1–2 characters: LIKE over the FTS table
        clauses.append("(" + " OR ".join(f"{c} LIKE ?" for c in LIKE_COLUMNS) + ")")
        params += [f"%{w}%"] * len(LIKE_COLUMNS)
    where = " AND ".join(clauses)
    total = conn.execute(f"SELECT count(*) FROM entry_fts WHERE {where}", params).fetchone()[0]
    rows = conn.execute(f"SELECT rowid FROM entry_fts WHERE {where} ORDER BY rank LIMIT 20", params).fetchall()
    return total, rows


def whoosh_ids(text):
    with idx.searcher() as s:
        flt = Q.And([Q.Term("doc_type", "entry"), Q.Term("status", "listed")])
        return {hit["doc_id"] for hit in s.search(build_query(text, {}), limit=None, filter=flt)}


def run(size, workdir):
    dbfile = workdir / f"bench-{size}.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{dbfile}",
            "PORTAL_SEARCH_INDEX_DIR": str(workdir / f"idx-{size}"),
            "SECRET_KEY": "bench" * 8,
        }
    )
    out = {"size": size}
    with app.app_context():
        db.create_all()
        companies, entries = synthesize(size)
        t = time.perf_counter()
        load(companies, entries)
        out["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        indexer.rebuild(app)
        out["index_build_s"] = time.perf_counter() - t
        out["index_mb"] = sum(f.stat().st_size for f in idx.current_dir(app).iterdir()) / 1e6

        rnd = random.Random(3)
        queries = QUERY_WORDS * 2 + QUERY_OTHER * 4 + QUERY_MULTI * 2
        rnd.shuffle(queries)
        queries = queries[:100]
        assert len(queries) == 100

        def uncached(**kwargs):
            def search(q):
                for _generation, caches in idx._shared.values():  # the pages kept per index generation
                    caches.pop("results", None)
                return services.search_entries(q, {}, per_page=20, **kwargs)

            return search

        out["whoosh_api_cold"] = timed(uncached(facets=False, suggest=False), queries)
        out["whoosh_page_cold"] = timed(uncached(), queries)
        out["whoosh_api"] = timed(
            lambda q: services.search_entries(q, {}, per_page=20, facets=False, suggest=False), queries
        )
        out["whoosh_page"] = timed(lambda q: services.search_entries(q, {}, per_page=20), queries)

        conn = sqlite3.connect(dbfile)
        add_dept_text(conn, entries)
        out["like"] = timed(lambda q: like_ids(conn, q, limit=20), queries)
        out["fts_build_s"] = fts_setup(conn)
        out["fts5_trigram"] = timed(lambda q: fts_query(conn, q), queries)

        # Recall on single words: everything LIKE finds, we find.
        recall = []
        for word in QUERY_WORDS + [w for w in QUERY_OTHER if " " not in w]:
            expected, got = like_ids(conn, word), whoosh_ids(word)
            recall.append((word, len(expected), len(got), len(expected & got) / len(expected) if expected else 1.0))
        out["recall"] = recall
        # Multi-word: correct answer = entries containing every word in some column.
        multi = []
        for text in QUERY_MULTI:
            expected, got = like_ids(conn, text), whoosh_ids(text)
            whole = like_ids(conn, text.replace(" ", "_"))  # what a naive LIKE on the whole string gives
            multi.append((text, len(expected), len(got), len(expected & got), len(got - expected), len(whole)))
        out["multi"] = multi

    # Over HTTP: a real server on loopback. One long-lived serving thread, like gunicorn's pooled gthread
    # workers; werkzeug's threaded mode starts a thread per request, and searchers are cached per thread,
    # so it would measure a cold searcher on every request, which production never sees.
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/api/v1/entries?per_page=20&q="

    def http(q):
        with urllib.request.urlopen(base + urllib.parse.quote(q), timeout=10) as response:
            response.read()

    out["http_api"] = timed(http, queries)
    client = app.test_client()
    out["client_api"] = timed(lambda q: client.get("/api/v1/entries", query_string={"per_page": 20, "q": q}), queries)
    server.shutdown()
    return out


def report(r):
    print(f"\n== {r['size']:,} entries ==")
    print(
        f"load into SQLite {r['load_s']:.1f} s; "
        f"Whoosh index build {r['index_build_s']:.1f} s ({r['index_mb']:.1f} MB); "
        f"FTS5 trigram build {r['fts_build_s']:.1f} s"
    )
    print(f"{'100 queries':38} {'p50 ms':>8} {'p95 ms':>8}")
    for key, label in (
        ("whoosh_api_cold", "Whoosh in-process, API, no page cache"),
        ("whoosh_page_cold", "Whoosh in-process, +facets, no cache"),
        ("whoosh_api", "Whoosh in-process (API: page+total)"),
        ("whoosh_page", "Whoosh in-process (+8 facets)"),
        ("http_api", "Whoosh over HTTP (werkzeug, loopback)"),
        ("client_api", "Whoosh via Flask test client (no socket)"),
        ("like", "SQL LIKE (page+total)"),
        ("fts5_trigram", "SQLite FTS5 trigram (page+total)"),
    ):
        p50, p95 = r[key]
        print(f"{label:38} {p50:8.1f} {p95:8.1f}")
    ok = sum(1 for *_, rec in r["recall"] if rec == 1.0)
    print(
        f"recall vs LIKE on single words: {ok}/{len(r['recall'])} words with recall 1.0; "
        f"min {min(rec for *_, rec in r['recall']):.3f}"
    )
    for word, n_like, n_ours, rec in r["recall"]:
        if rec < 1.0 or n_ours < n_like:
            print(f"   {word}: LIKE {n_like}, ours {n_ours}, recall {rec:.3f}")
    print("multi-word (expected = every word in some column):  expected / ours / correct / extra / naive LIKE")
    for text, n_exp, n_got, n_ok, n_extra, whole in r["multi"]:
        print(f"   {text:14} {n_exp:6} {n_got:6} {n_ok:6} {n_extra:6} {whole:6}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            report(run(size, Path(tmp)))


if __name__ == "__main__":
    main()
