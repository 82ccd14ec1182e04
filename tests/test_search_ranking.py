"""Ranking (issue 15): query → the entries that must come first, over a realistic catalogue.

Each case lists groups: the first group must fill the first places (in any order), the next group the
places after it, and so on. Synonyms come from the built-in table, without the demo seed.
"""

import pytest

from portal.search import services
from portal.search.synonyms import seed_synonyms
from tests.factories_search import CATALOGUE, build_catalogue

MRI = {"超导磁共振成像系统", "永磁型磁共振成像系统"}
ENDOSCOPES = {"胶囊内窥镜系统", "一次性使用内窥镜用活检钳", "内窥镜冷光源"}
CT = {"X射线计算机体层摄影设备", "正电子发射及X射线计算机断层成像扫描系统"}
IN_VESSEL = {"血管内超声诊断系统", "血管内冲击波治疗系统"}
CARDIOLOGY = {row[0] for row in CATALOGUE if "心血管内科" in row[3]}

RANKING = [
    # Ties (the term only in descriptions, or in every name alike): innovative, higher class, newer first.
    ("血糖", [{"持续葡萄糖监测系统"}]),
    ("内窥镜", [{"胶囊内窥镜系统"}, ENDOSCOPES - {"胶囊内窥镜系统"}]),
    ("激光", [{"全自动微生物质谱检测系统"}]),
    # Built-in synonyms.
    ("核磁", [MRI]),
    ("内镜", [ENDOSCOPES]),
    ("彩超", [{"彩色多普勒超声诊断系统"}]),
    ("DSA", [{"血管造影X射线机"}]),
    # Latin in any case.
    ("CT", [CT]),
    ("ct", [CT]),
    ("Ct", [CT]),
    # Pinyin: whole syllables, a partial last syllable, initials.
    ("cigongzhen", [MRI]),
    ("cigong", [MRI]),
    ("cigongz", [MRI]),
    ("cgz", [MRI]),
    ("cgzcx", [MRI]),
    # A department matched across its word boundary (心血管|内科) is noise: below names and descriptions.
    ("血管内", [IN_VESSEL, {"冠脉血流储备分数测量系统"}]),
    # Inside a department word (心血管) ranks below the name.
    ("血管", [IN_VESSEL | {"血管造影X射线机"}]),
    ("心血管内科", [CARDIOLOGY]),
    # What worked before keeps working.
    ("关节", [{"全膝关节置换手术导航定位系统", "人工髋关节假体"}]),
    ("磁共振", [MRI, {"头部线圈"}]),
    ("支架", [{"冠脉雷帕霉素靶向洗脱支架系统", "颅内取栓支架"}]),
    ("手术机器人", [{"腔镜手术机器人", "全膝关节置换手术导航定位系统"}]),
    ("uMR", [{"超导磁共振成像系统"}]),
    ("PET-CT", [{"正电子发射及X射线计算机断层成像扫描系统"}]),
]


@pytest.fixture
def catalogue(world):
    seed_synonyms()  # the built-in table, as `flask db upgrade` installs it (below)
    return build_catalogue(world)


def ranked(text):
    return [i["product_name"] for i in services.search_entries(text, per_page=50, facets=False).items]


@pytest.mark.parametrize(("text", "groups"), RANKING, ids=[c[0] for c in RANKING])
def test_what_comes_first(catalogue, text, groups):
    result = ranked(text)
    start = 0
    for group in groups:
        got = set(result[start : start + len(group)])
        assert got == set(group), f"{text!r}: places {start + 1}–{start + len(group)} should be {group}: {result}"
        start += len(group)


def test_latin_case_does_not_change_the_order(catalogue):
    assert ranked("CT") == ranked("ct") == ranked("Ct")
    assert ranked("PET-CT") == ranked("pet-ct")


def test_order_is_deterministic_and_ends_with_the_id(catalogue, world):
    # Same text relevance and the same signals: the lower id first, whatever the order of indexing.
    a = world.entry("一次性使用吻合器", device_class="II")
    b = world.entry("一次性使用吻合器 ", device_class="II")
    world.index()
    world.db.session.get(type(a), a.id).model = "X"
    from portal.core.outbox import ENTRY, queue

    queue(ENTRY, a.id)  # re-indexed last: a later Whoosh document number
    world.index()
    ids = [i["id"] for i in services.search_entries("吻合器").items]
    assert ids == [a.id, b.id]


def test_builtin_synonyms_come_with_db_upgrade(tmp_path):
    """A deployment that never ran the demo seed has the built-in table; an admin's row is kept."""
    from flask_migrate import downgrade, upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.search.models import Synonym
    from portal.search.query import invalidate_synonyms, synonym_map
    from portal.search.synonyms import BUILTIN

    app = create_app({"PORTAL_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'up.sqlite3'}"})
    with app.app_context():
        upgrade(revision="0003")
        db.session.add(Synonym(term="核磁", expansions=["磁共振成像"]))
        db.session.commit()
        upgrade()
        invalidate_synonyms()
        mapping = synonym_map()
        assert mapping["核磁"] == ["磁共振成像"]  # kept
        assert mapping["内镜"] == ["内窥镜"] and mapping["ct"]
        assert len(mapping) == len(BUILTIN)
        downgrade(revision="0003")
        assert [s.term for s in db.session.scalars(db.select(Synonym))] == ["核磁"]
        db.session.remove()
        db.engine.dispose()


def test_a_filter_that_allows_nothing_finds_nothing(catalogue):
    # Whoosh reads an empty set of allowed documents as no filter at all.
    assert services.search_entries("磁共振", {"catalogue": "0"}).total == 0
    assert services.search_entries("", {"catalogue": "0"}, sort="date").total == 0


def test_an_index_of_an_older_version_is_rebuilt(app, catalogue):
    """After an upgrade that changes the schema or the analysis, the old generation counts as missing."""
    from whoosh import index as whoosh_index

    from portal.search import index as idx
    from portal.search.schema import build_schema

    old = idx.base_dir(app) / "gen-old"
    old.mkdir()
    whoosh_index.create_in(str(old), build_schema(), indexname="portal")  # the name before this version
    idx.swap_to(old, app)
    idx.forget_searchers()
    assert not idx.exists(app)
    assert set(ranked("核磁")[:2]) == MRI  # rebuilt within the request (small database)
    assert idx.exists(app) and idx.current_dir(app) != old
