"""Search: Chinese analysis, identifiers, synonyms, pinyin, ranking, facets, outbox consistency, CLI, pages."""

import csv
import io
import json
import multiprocessing
import os
import pickle
import signal
import threading
from datetime import date

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role
from portal.catalogue.models import Entry, EntryStatus
from portal.catalogue.services import save_catalogue
from portal.core.actors import COMMAND_LINE
from portal.core.errors import DomainError, PermissionDenied
from portal.core.outbox import ENTRY, IndexChange, queue
from portal.demo.seed import seed_demo
from portal.directory.services import save_company
from portal.search import analysis, indexer, services
from portal.search import index as idx
from portal.search.models import Synonym
from portal.search.query import highlight
from portal.search.synonyms import save_synonym, seed_synonyms
from tests.factories_search import build_examples


@pytest.fixture
def ex(world):
    return build_examples(world)


def names(text, **filters):
    return [i["product_name"] for i in services.search_entries(text, filters, per_page=50).items]


# Every example of issue 6: (query, products that must be found, products that must not be).
CASES = [
    ("关节", ["全膝关节置换手术导航定位系统"], []),
    ("磁共振", ["超导磁共振成像系统"], ["旧式磁共振成像系统"]),  # delisted: not in default results
    ("动脉瓣", ["经导管主动脉瓣膜系统"], []),
    ("断层扫描", ["X射线计算机断层扫描设备"], ["正电子发射及X射线计算机断层成像系统"]),
    ("国械注准2023", ["X射线计算机断层扫描设备"], ["超导磁共振成像系统"]),
    ("国械注准20213060361", ["超导磁共振成像系统"], ["X射线计算机断层扫描设备"]),
    ("国械注准 2021 306 0361", ["超导磁共振成像系统"], ["X射线计算机断层扫描设备"]),
    ("国械注准２０２１３０６０３６１", ["超导磁共振成像系统"], []),
    ("沪械注准2023", ["彩色多普勒超声诊断系统"], []),
    ("uMR", ["超导磁共振成像系统"], []),
    ("UMR", ["超导磁共振成像系统"], []),
    ("ｕＭＲ", ["超导磁共振成像系统"], []),
    ("3.0T", ["超导磁共振成像系统"], ["冠脉雷帕霉素靶向洗脱支架系统"]),
    ("PET-CT", ["正电子发射及X射线计算机断层成像系统"], []),
    ("pet-ct", ["正电子发射及X射线计算机断层成像系统"], []),
    ("联影", ["超导磁共振成像系统", "X射线计算机断层扫描设备", "彩色多普勒超声诊断系统"], ["经导管主动脉瓣膜系统"]),
    ("心血管内科", ["经导管主动脉瓣膜系统", "冠脉雷帕霉素靶向洗脱支架系统"], ["超导磁共振成像系统"]),
    # Synonyms (seeded)
    ("彩超", ["彩色多普勒超声诊断系统"], []),
    ("DSA", ["血管造影X射线机"], []),
    ("核磁", ["超导磁共振成像系统"], []),
    ("CT", ["X射线计算机断层扫描设备", "正电子发射及X射线计算机断层成像系统"], []),
    ("心脏瓣膜", ["经导管主动脉瓣膜系统"], []),
    ("手术机器人", ["全膝关节置换手术导航定位系统"], []),
    ("支架", ["冠脉雷帕霉素靶向洗脱支架系统"], []),
    # Pinyin of product names
    ("chaosheng", ["彩色多普勒超声诊断系统"], []),
    ("cigongzhen", ["超导磁共振成像系统"], []),
    # Several words: all of them
    ("联影 磁共振", ["超导磁共振成像系统", "头部线圈"], ["X射线计算机断层扫描设备", "血管造影X射线机"]),
    ("医学影像科 急诊科", ["X射线计算机断层扫描设备"], ["超导磁共振成像系统"]),
    ("联影 支架", [], ["冠脉雷帕霉素靶向洗脱支架系统", "超导磁共振成像系统"]),
]


@pytest.fixture
def synonyms(db):
    seed_synonyms()
    db.session.commit()


@pytest.mark.parametrize(("text", "found", "not_found"), CASES, ids=[c[0] for c in CASES])
def test_examples_of_the_issue(ex, synonyms, text, found, not_found):
    result = names(text)
    for name in found:
        assert name in result, f"{text!r} should find {name}: got {result}"
    for name in not_found:
        assert name not in result, f"{text!r} should not find {name}: got {result}"
    if not found:
        assert result == []


def test_3_0t_does_not_match_3_0mm(ex):
    assert names("3.0mm") == ["冠脉雷帕霉素靶向洗脱支架系统"]
    assert "冠脉雷帕霉素靶向洗脱支架系统" not in names("3.0T")


def test_name_ranks_above_description(ex):
    ranked = names("磁共振")
    assert ranked.index("超导磁共振成像系统") < ranked.index("头部线圈")


def test_manufacturer_short_name_lists_its_products_first(ex):
    ranked = names("联影")
    assert ranked[-1] == "头部线圈"  # mentions 联影 only in its description
    own = {
        "超导磁共振成像系统",
        "X射线计算机断层扫描设备",
        "正电子发射及X射线计算机断层成像系统",
        "彩色多普勒超声诊断系统",
        "血管造影X射线机",
    }
    assert set(ranked[:5]) == own


def test_one_character_query_matches_like_a_substring(ex):
    assert set(names("瓣")) == {"经导管主动脉瓣膜系统"}
    assert "超导磁共振成像系统" in names("统")  # the last character of a name


def test_delisted_entries_only_with_the_status_facet(ex):
    assert names("磁共振", status="delisted") == ["旧式磁共振成像系统"]


def test_facet_counts(ex):
    result = services.search_entries("")
    assert result.total == 9
    facets = {name: {v: n for v, _label, n in values} for name, values in result.facets.items()}
    assert facets["district"] == {"嘉定区": 5, "浦东新区": 3, "宝山区": 1}
    assert facets["key_area"] == {"高端医学影像": 6, "高端植入介入": 2, "高端手术系统": 1}
    assert facets["department"]["医学影像科"] == 4
    assert facets["department"]["心血管内科"] == 3
    assert facets["innovative"] == {"none": 7, "national": 1, "shanghai": 1}
    assert facets["device_class"] == {"III": 8, "II": 1}
    labels = {name: {v: label for v, label, _n in values} for name, values in result.facets.items()}
    assert labels["innovative"]["national"] == "国家创新医疗器械特别审查"

    filtered = services.search_entries("", {"district": "嘉定区", "department": "医学影像科"})
    assert filtered.total == 3
    assert {i["product_name"] for i in filtered.items} == {
        "超导磁共振成像系统",
        "X射线计算机断层扫描设备",
        "血管造影X射线机",
    }


def test_empty_result_suggests_which_filter_to_drop(ex):
    result = services.search_entries("支架", {"district": "嘉定区"})
    assert result.total == 0
    assert [(s["name"], s["count"]) for s in result.suggestions] == [("district", 1)]
    words = services.search_entries("联影 支架").suggestions
    assert {(s["name"], s["count"]) for s in words} == {("联影", 6), ("支架", 1)}


def test_sort_by_listing_date_and_pagination(ex, world):
    later = world.make_batch(world.catalogue, "第二批", date(2025, 3, 1))
    world.entry("新型磁共振线圈", batch=later)
    world.index()
    first = services.search_entries("", sort="date", per_page=4)
    assert first.items[0]["product_name"] == "新型磁共振线圈"
    assert (first.total, first.pages) == (10, 3)
    seen = [i["id"] for p in (1, 2, 3) for i in services.search_entries("", page=p, per_page=4).items]
    assert len(seen) == len(set(seen)) == 10


def test_highlight_escapes_html_and_marks_matches():
    html = str(highlight("<b>超导磁共振</b> uMR", ["磁共振", "umr"]))
    assert html == "&lt;b&gt;超导<mark>磁共振</mark>&lt;/b&gt; <mark>uMR</mark>"


def test_analyzer_pickles_without_the_dictionary():
    schema = __import__("portal.search.schema", fromlist=["build_schema"]).build_schema()
    blob = pickle.dumps(schema)
    assert len(blob) < 20_000  # a dictionary would be megabytes
    assert b"rjieba" not in blob
    assert analysis.pinyin_pieces("chaosheng") == ["chao", "sheng"]
    assert analysis.pinyin_pieces("umr") is None


def test_synonym_edits_apply_at_once(app, db, ex, make_user):
    admin = make_user(Role.ADMIN)
    assert names("瓣膜病") == []
    save_synonym(admin, None, term="瓣膜病", expansions="主动脉瓣\n二尖瓣")
    db.session.commit()
    assert names("瓣膜病") == ["经导管主动脉瓣膜系统"]
    with pytest.raises(DomainError) as err:
        save_synonym(admin, None, term="瓣膜病", expansions="x")
    assert err.value.field == "term"
    with pytest.raises(PermissionDenied):
        save_synonym(make_user(Role.HOSPITAL), None, term="新词", expansions="x")


# ----- reviewers' application search ----------------------------------------------------------------------


def test_application_ids_matching_scopes_to_reviewed_catalogues(
    app, db, world, make_user, make_batch, make_product, make_application
):
    other = world.make_catalogue("BS-T", "宝山测试目录")
    lianying = world.company("上海联影医疗科技股份有限公司", "联影")
    apps = {}
    for name, catalogue in (("超导磁共振成像系统", world.catalogue), ("磁共振线圈", other)):
        # submitted to an open batch of each catalogue (the services queue the application for the index)
        apps[name] = make_application(make_batch(catalogue), make_product(lianying, name=name)).id
    world.index()
    reviewer = make_user(Role.REVIEWER, catalogues=[world.catalogue])
    both = [world.catalogue.id, other.id]
    assert services.application_ids_matching(reviewer, "磁共振", both) == [apps["超导磁共振成像系统"]]
    assert services.application_ids_matching(reviewer, "联影", both) == [apps["超导磁共振成像系统"]]
    assert services.application_ids_matching(reviewer, "国械注准2019", both) == [apps["超导磁共振成像系统"]]
    assert services.application_ids_matching(reviewer, "支架", both) == []
    admin = make_user(Role.ADMIN)
    assert set(services.application_ids_matching(admin, "磁共振", both)) == set(apps.values())
    assert services.application_ids_matching(make_user(Role.HOSPITAL), "磁共振", both) == []


# ----- consistency: the outbox --------------------------------------------------------------------------


def test_changes_reach_the_index_through_the_outbox(app, db, ex, world):
    world.delist(ex["tavi"])
    db.session.commit()
    assert indexer.pending_count() == 1
    assert names("动脉瓣") == []  # searching applies what is pending first
    assert indexer.pending_count() == 0
    db.session.delete(db.session.get(Entry, ex["coil"].id))
    queue(ENTRY, ex["coil"].id)
    db.session.commit()
    indexer.apply_pending(app)
    assert "头部线圈" not in names("线圈", status="listed")


def test_a_busy_writer_is_skipped_and_nothing_is_lost(app, db, ex):
    entry = ex["us"]
    entry.product_name = "彩色多普勒超声诊断仪"
    queue(ENTRY, entry.id)
    db.session.commit()
    with idx.writer_lock(app) as held:
        assert held
        assert indexer.apply_pending(app) is None  # someone else is writing: skip, do not wait
        assert indexer.pending_count() == 1
    assert indexer.apply_pending(app) == 1
    assert names("超声诊断仪") == ["彩色多普勒超声诊断仪"]


def test_threads_writing_at_once_lose_no_update(app, db, ex):
    ids = [e.id for e in ex.values() if e.status is EntryStatus.LISTED]
    errors = []

    def worker(n):
        with app.app_context():
            try:
                for entry_id in ids[n::4]:
                    e = db.session.get(Entry, entry_id)
                    e.product_name = f"{e.product_name}改{n}"
                    queue(ENTRY, e.id)
                    db.session.commit()
                    indexer.apply_pending(app)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    indexer.apply_pending(app, wait=5)
    assert indexer.pending_count() == 0
    assert services.search_entries("改").total == len(ids)


def _child_writes(config, entry_ids, tag, hold_lock_forever):
    """In another process: change entries, queue them, try to drain; optionally die while holding the lock."""
    from portal import create_app
    from portal.extensions import db as child_db

    app = create_app(config)
    with app.app_context():
        for entry_id in entry_ids:
            e = child_db.session.get(Entry, entry_id)
            e.model = f"{e.model} {tag}"
            queue(ENTRY, e.id)
            child_db.session.commit()
            if not hold_lock_forever:
                indexer.apply_pending(app)
        if hold_lock_forever:
            with idx.writer_lock(app) as held:
                assert held
                os.kill(os.getpid(), signal.SIGKILL)  # killed with changes pending and the lock held


def test_processes_and_a_killed_writer_lose_nothing(app, app_config, db, ex):
    ids = [e.id for e in ex.values() if e.status is EntryStatus.LISTED]
    ctx = multiprocessing.get_context("fork")
    db.session.commit()
    db.engine.dispose()  # children must not share the parent's connections
    procs = [ctx.Process(target=_child_writes, args=(app_config, ids[n::3], f"w{n}x", False)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    killed = ctx.Process(target=_child_writes, args=(app_config, ids[:2], "kiilled", True))
    killed.start()
    killed.join(60)
    assert killed.exitcode == -signal.SIGKILL
    assert indexer.pending_count() >= 2  # the killed process's changes are still in the outbox
    assert indexer.apply_pending(app) is not None  # its lock died with it
    assert indexer.pending_count() == 0
    for n in range(3):
        assert services.search_entries(f"w{n}x").total == len(ids[n::3])
    assert services.search_entries("kiilled").total == 2


# ----- missing index, reindex, CLI ------------------------------------------------------------------------


def test_missing_index_is_rebuilt_and_search_never_fails(app, db, ex, client):
    import shutil

    shutil.rmtree(app.config["PORTAL_SEARCH_INDEX_DIR"])
    idx.forget_searchers()
    assert "超导磁共振成像系统" in names("磁共振")  # rebuilt within the request (small database)


def test_search_falls_back_to_the_database_when_the_index_is_unusable(app, db, ex, client, monkeypatch):
    monkeypatch.setattr(indexer, "ensure_current", lambda app=None: False)
    result = services.search_entries("磁共振")
    assert result.fallback
    assert {i["product_name"] for i in result.items} == {"超导磁共振成像系统", "头部线圈"}
    response = client.get("/search?q=磁共振")
    assert response.status_code == 200
    assert "检索索引正在重建" in response.get_data(as_text=True)


def test_reindex_cli_rebuilds_and_clears_the_outbox(app, db, ex):
    db.session.add(IndexChange(doc_type=ENTRY, doc_id=ex["mr"].id))
    db.session.commit()
    before = idx.current_dir(app)
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "已索引 9" not in result.output and "已索引 10 个文档" in result.output
    assert idx.current_dir(app) != before
    assert indexer.pending_count() == 0
    assert "超导磁共振成像系统" in names("磁共振")


def test_query_cli_prints_api_items(app, db, ex, synonyms):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "query", "核磁", "--json", "--limit", "5"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert items[0]["product_name"] == "超导磁共振成像系统"
    assert set(items[0]) == {
        "id", "product_name", "model", "registration_no", "manufacturer", "catalogue", "batch", "category",
        "device_class", "departments", "innovative", "listed_on", "status",
    }  # fmt: skip
    plain = runner.invoke(args=["search", "query", "uMR"])
    assert "共 1 个结果" in plain.output and "超导磁共振成像系统" in plain.output


def test_seed_synonyms_cli_is_idempotent_and_keeps_edits(app, db):
    runner = app.test_cli_runner()
    assert "新增同义词" in runner.invoke(args=["search", "seed-synonyms"]).output
    row = db.session.scalar(db.select(Synonym).where(Synonym.term == "彩超"))
    row.expansions = ["自定义"]
    db.session.commit()
    assert "新增同义词 0 条" in runner.invoke(args=["search", "seed-synonyms"]).output
    db.session.refresh(row)
    assert row.expansions == ["自定义"]


# ----- pages and exports ----------------------------------------------------------------------------------


def test_public_search_page_with_facets_and_highlights(client, ex):
    page = client.get("/search?q=磁共振").get_data(as_text=True)
    assert "超导<mark>磁共振</mark>成像系统" in page
    assert "style=" not in page
    assert "重点领域" in page and "医学影像科" in page
    filtered = client.get("/search?q=磁共振&district=宝山区").get_data(as_text=True)
    assert "头部线圈" in filtered and "超导磁共振成像系统" not in filtered
    empty = client.get("/search?q=支架&district=嘉定区").get_data(as_text=True)
    assert "没有找到" in empty and "去掉「企业所在区：嘉定区」" in empty


def test_rendered_results_follow_the_index_not_the_cache(client, ex, world, db, login_as):
    """The result section is kept per index generation: a change reaches the next request for the same URL,
    and a logged-in visitor gets the same public section (nothing personal is kept in it)."""
    first = client.get("/search?q=磁共振").get_data(as_text=True)
    assert f'/entries/{ex["mr"].id}"' in first
    assert client.get("/search?q=磁共振").get_data(as_text=True) == first  # served again, unchanged
    world.delist(ex["mr"])
    db.session.commit()
    after = client.get("/search?q=磁共振").get_data(as_text=True)
    assert f'/entries/{ex["mr"].id}"' not in after
    login_as(Role.HOSPITAL)
    assert f'/entries/{ex["mr"].id}"' not in client.get("/search?q=磁共振").get_data(as_text=True)


def test_renamed_catalogue_reaches_the_search_results(client, ex, world, db):
    """Entries carry their catalogue's code and name in the index: renaming the catalogue re-indexes them."""
    catalogue = world.catalogue
    save_catalogue(COMMAND_LINE, catalogue, code="SH-T2", name="上海测试目录（更名）", scope=catalogue.scope)
    db.session.commit()
    items = services.search_entries("磁共振").items
    assert items and {(i["catalogue"], i["catalogue_name"]) for i in items} == {("SH-T2", "上海测试目录（更名）")}
    assert "上海测试目录（更名）" in client.get("/search?q=磁共振").get_data(as_text=True)


def test_company_moving_district_reaches_the_search_facets(ex, db):
    """Entries and applications are indexed with their company's district and short name: changing them
    re-indexes both (the district facet and the short-name search follow)."""
    company = ex["mr"].product.company
    save_company(
        COMMAND_LINE, company, uscc=company.uscc, name=company.name, short_name="联影医疗", district="闵行区"
    )
    db.session.commit()
    assert ex["mr"].id in {i["id"] for i in services.search_entries("", {"district": "闵行区"}).items}
    assert ex["mr"].id not in {i["id"] for i in services.search_entries("", {"district": "嘉定区"}).items}
    assert ex["mr"].id in {i["id"] for i in services.search_entries("联影医疗").items}


def test_catalogue_page_entry_and_history(client, ex, world):
    page = client.get("/catalogues/SH-T?q=uMR").get_data(as_text=True)
    assert "超导磁共振成像系统" in page and "经导管主动脉瓣膜系统" not in page
    entry = client.get(f"/entries/{ex['mr'].id}").get_data(as_text=True)
    assert "国家药监局 · 境内 · 2021年首次注册 · 第三类" in entry
    assert "医学影像科" in entry and "嘉定区" in entry
    history = client.get("/catalogues/SH-T/history").get_data(as_text=True)
    assert "第一批" in history and "2024-05-01" in history and "旧式磁共振成像系统" in history
    assert client.get("/catalogues/NOPE/history").status_code == 404


def test_exports_csv_and_xlsx(client, ex):
    response = client.get("/search/export.csv?q=联影")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["产品名称", "型号规格", "注册证编号", "注册人"]
    assert len(rows) == 1 + 6
    whole = client.get("/catalogues/SH-T/export.xlsx")
    sheet = load_workbook(io.BytesIO(whole.data)).active
    values = list(sheet.values)
    assert values[0][0] == "产品名称" and len(values) == 1 + 9
    assert client.get("/search/export.pdf").status_code == 404


def test_admin_synonym_pages(client, login_as, db, ex):
    login_as(Role.ADMIN)
    assert "检索同义词" in client.get("/admin/search/synonyms").get_data(as_text=True)
    refused = client.post("/admin/search/synonyms/new", data={"term": "瓣膜病", "expansions": ""})
    assert "请至少填写一个同义词" in refused.get_data(as_text=True)
    ok = client.post("/admin/search/synonyms/new", data={"term": "瓣膜病", "expansions": "主动脉瓣、二尖瓣"})
    assert ok.status_code == 302
    synonym = db.session.scalar(db.select(Synonym).where(Synonym.term == "瓣膜病"))
    assert synonym.expansions == ["主动脉瓣", "二尖瓣"]
    assert "经导管<mark>主动脉瓣</mark>膜系统" in client.get("/search?q=瓣膜病").get_data(as_text=True)
    edit = client.post(f"/admin/search/synonyms/{synonym.id}/edit", data={"term": "瓣膜病", "expansions": "二尖瓣"})
    assert edit.status_code == 302
    synonym_id = synonym.id
    assert client.post(f"/admin/search/synonyms/{synonym_id}/delete").status_code == 302
    assert db.session.get(Synonym, synonym_id) is None


def test_synonym_pages_are_for_admins_only(client, login_as):
    login_as(Role.HOSPITAL)
    assert client.get("/admin/search/synonyms").status_code == 403


def test_entry_page_links_the_public_registration_certificate(client, db):
    """A listed product's registration certificate is public: the entry page links it and anyone may download."""
    seed_demo(out=lambda *a: None)
    db.session.commit()
    entry = db.session.scalar(db.select(Entry).order_by(Entry.id))
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "下载注册证（PDF）" in page
    link = page.split("下载注册证（PDF）")[0].rsplit('href="', 1)[1].split('"')[0]
    response = client.get(link)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("attachment")
