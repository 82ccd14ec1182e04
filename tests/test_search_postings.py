"""Matches read a posting list at a time, facets counted from bitsets (issue 16): the same documents, order,
totals and facet counts as the straightforward way, Whoosh's collector stepping through the matcher tree
document by document and a Counter over the matches' column values.

The index is realistic and awkward on purpose: the ranking and issue-6 catalogues with the built-in synonyms,
a delisted entry, a department listed twice, a second catalogue of the same name (facet rows that tie on
count and label), a few hundred entries sharing words (terms spanning several postings blocks), and documents
rewritten without merging, so the index has several segments and deleted documents.
"""

from collections import Counter
from datetime import date
from heapq import heappush, heapreplace
from itertools import chain

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import collectors, sorting
from whoosh import index as whoosh_index

from portal.search import index as idx
from portal.search import indexer, ranking, services
from portal.search.analysis import pinyin_of
from portal.search.query import build_query
from portal.search.synonyms import seed_synonyms
from portal.search.visibility import public_allowed
from tests.factories_search import build_catalogue, build_examples

# ---------------------------------------------------------------------------------------------------------
# The straightforward way (the code this replaced)
# ---------------------------------------------------------------------------------------------------------


class _Stepping(collectors.ScoredCollector):
    """Every match stepped through and scored by Whoosh, the best `limit` kept in a heap."""

    def __init__(self, limit, ranks):
        super().__init__()
        self.limit, self.ranks = limit, ranks

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.docs = []

    def _collect(self, global_docnum, score):
        self.docs.append(global_docnum)
        item = ((round(score * 2), self.ranks[global_docnum]), global_docnum)
        if self.limit is None or len(self.items) < self.limit:
            heappush(self.items, item)
        elif item > self.items[0]:
            heapreplace(self.items, item)
        return 0


def stepped(s, q, allowed, limit):
    """(best `limit` docnums, every match in the collector's order)."""
    if not allowed:
        return [], []
    child = _Stepping(limit, idx.facet_columns(s, ["rank"])["rank"])
    s.search_with_collector(q, collectors.FilterCollector(child, allow=allowed))
    return [d for _key, d in sorted(child.items, reverse=True)], child.docs


BY_DATE = [sorting.FieldFacet("listed_on", reverse=True), sorting.FieldFacet("rank", reverse=True)]


def sorted_by_date(s, q, allowed):
    """Every match, as Whoosh sorts them by the two columns."""
    if not allowed:
        return []
    return [d for _key, d in s.search(q, limit=None, filter=allowed, sortedby=BY_DATE, terms=False).top_n]


def counted_facets(s, docnums, labels):
    """Counter over the matches' column values, in the matches' order (it breaks ties of count and label)."""
    names = services.FACET_ORDER_ALL
    columns = idx.facet_columns(s, [n if n != "department" else "departments" for n in names])
    counters = {n: Counter(map(columns[n].__getitem__, docnums)) for n in names if n != "department"}
    counters["department"] = Counter(chain.from_iterable(map(columns["departments"].__getitem__, docnums)))
    return {
        n: sorted(
            ((str(v), services.facet_label(n, str(v), labels), k) for v, k in counters[n].items() if v),
            key=lambda t: (-t[2], t[1]),
        )
        for n in names
    }


# ---------------------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def corpus(world):
    seed_synonyms()
    build_examples(world)
    build_catalogue(world)
    twin = world.make_catalogue("SH-U", "上海测试目录")  # same name: its facet rows tie with the first's
    batch = world.make_batch(twin, "第一批", date(2024, 7, 1))
    for name, home in (("泌尿结石激光碎石系统", batch), ("前列腺等离子电切镜", None)):
        world.entry(name, departments=["泌尿外科"], batch=home, key_area="高端治疗设备", description="孪生样品")
    world.entry("康复训练样品", departments=["骨科", "骨科", "康复医学科"])  # a department listed twice
    _many(world, 420)
    world.index()
    _rewrite_without_merging(world.app, every=3)
    with idx.searcher() as s:
        assert len(s.leaf_searchers()) > 1 and s.reader().has_deletions()
    return world


NAMES = ["骨科手术机器人", "磁共振成像系统", "心血管内科导管", "影像导航系统", "内窥镜系统", "人工关节"]
DEPARTMENTS = ["骨科", "心血管内科", "医学影像科", "超声科", "康复医学科", "神经内科"]
MAKERS = [("上海联影医疗科技有限公司", "联影"), ("上海微创医疗器械有限公司", "微创"), ("上海康复科技有限公司", "康复")]


def _many(world, n):
    """Enough entries that common terms span several postings blocks (128 each), so blocks get skipped; names,
    departments and companies share words, so a word often matches in several ways at once, and its bigrams
    in different fields (影像科: 影像 in a name, 像科 in a department)."""
    for i in range(n):
        world.entry(
            ("便携式", "全自动", "")[i % 3] + NAMES[i % len(NAMES)],
            model=f"uMR {100 + i % 9}",
            company=MAKERS[i % len(MAKERS)],
            departments=[DEPARTMENTS[i % len(DEPARTMENTS)], DEPARTMENTS[(i * 5 + 1) % len(DEPARTMENTS)]],
            description=("适用于骨科康复。", "兼容联影设备。", "")[i % 3],
            device_class=("III", "II")[i % 2],
            innovative=("none", "national", "shanghai", "none")[i % 4],
            key_area=("高端医学影像", "高端手术系统")[i % 2],
            listed_on=date(2024, 5, 1 + i % 28),
        )


def _rewrite_without_merging(app, every):
    """Index every `every`-th entry again in a segment of its own: the old copies stay behind as deletions."""
    from portal.catalogue.models import Entry
    from portal.extensions import db

    ix = whoosh_index.open_dir(str(idx.current_dir(app)), indexname=idx.INDEX_NAME)
    writer = ix.writer()
    for entry in db.session.query(Entry).order_by(Entry.id).all()[::every]:
        writer.update_document(**indexer.entry_doc(entry))
    writer.commit(merge=False)


def vocabulary(s) -> list[str]:
    """What people type: the stored fields' text, cut anywhere, plus pinyin and its initials."""
    texts = set()
    for fields in s.all_stored_fields():
        data = fields.get("data") or {}
        for key in ("product_name", "model", "registration_no", "manufacturer", "description", "key_area"):
            texts.add(str(data.get(key) or ""))
        texts.update(data.get("departments") or [])
        syllables = pinyin_of(data.get("product_name") or "")
        texts.update(["".join(syllables), "".join(x[0] for x in syllables)])
    return sorted(t for t in texts if t)


FACET_VALUES = ["catalogue", "batch", "key_area", "device_class", "department", "district", "innovative"]


def filter_choices(s) -> dict[str, list[str]]:
    columns = idx.facet_columns(s, [n if n != "department" else "departments" for n in FACET_VALUES])
    choices = {n: sorted({str(v) for v in columns[n]} | {"nope"}) for n in FACET_VALUES if n != "department"}
    choices["department"] = sorted(set(chain.from_iterable(columns["departments"])) | {"nope"})
    choices["status"] = ["listed", "delisted", "nope"]
    return choices


# ---------------------------------------------------------------------------------------------------------
# The comparisons
# ---------------------------------------------------------------------------------------------------------


def assert_same(s, text, filters):
    q = build_query(text)
    allowed = public_allowed(s, filters)
    labels = services._generation_labels(s)
    for limit in (1, 20, None):
        best, every = stepped(s, q, allowed, limit)
        found = ranking.ranked(s, q, allowed, limit)
        assert found.docnums == best, (text, filters, limit)
        assert sorted(found.matches) == sorted(every) and found.total == len(every), (text, filters)
    assert ranking.count(s, q, allowed) == len(every), (text, filters)
    # Scored: the matches came in document order; unscored: in the order they are shown.
    assert services._facet_counts(s, found.matches, labels, ordered=False) == counted_facets(s, every, labels)
    shown = sorted_by_date(s, q, allowed)
    for limit in (1, 20, None):
        dated = ranking.by_date(s, q, allowed, limit)
        assert dated.docnums == shown[:limit] and dated.matches == shown and dated.total == len(shown)
    assert services._facet_counts(s, shown, labels, ordered=True) == counted_facets(s, shown, labels)


def test_words_and_filters_find_what_stepping_finds(corpus):
    with idx.searcher() as s:
        words, choices = vocabulary(s), filter_choices(s)

        def cut(text, start, length):
            return text[start % len(text) :][: 1 + length] or text

        word = st.builds(cut, st.sampled_from(words), st.integers(0, 40), st.integers(0, 6))
        text = st.lists(word, min_size=1, max_size=3).map(" ".join)
        filters = st.dictionaries(st.sampled_from(sorted(choices)), st.just(None), max_size=2).flatmap(
            lambda chosen: st.fixed_dictionaries({n: st.sampled_from(choices[n]) for n in chosen})
        )

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(text=text, filters=filters)
        def check(text, filters):
            assert_same(s, text, filters)

        check()


KNOWN = ["", "影像科", "泌尿", "心", "系统", "磁共振", "核磁", "cgz", "cigongz", "国械注准2019", "联影 磁共振"]


@pytest.mark.parametrize("text", KNOWN)
def test_known_queries_find_what_stepping_finds(corpus, text):
    with idx.searcher() as s:
        assert_same(s, text, {})
        assert_same(s, text, {"status": "delisted"})


def test_facet_rows_that_tie_keep_the_order_they_were_met_in(corpus):
    with idx.searcher() as s:
        labels = services._generation_labels(s)
        found = ranking.ranked(s, build_query("孪生样品"), public_allowed(s, {}), 20)
        rows = services._facet_counts(s, found.matches, labels, ordered=False)["catalogue"]
        assert [(label, n) for _v, label, n in rows] == [("上海测试目录", 1), ("上海测试目录", 1)]
        for order in (sorted(found.matches), sorted(found.matches, reverse=True)):
            counted = counted_facets(s, order, labels)["catalogue"]
            assert services._facet_counts(s, order, labels, ordered=True)["catalogue"] == counted
        assert rows == counted_facets(s, sorted(found.matches), labels)["catalogue"]


def test_nothing_allowed_finds_nothing(corpus):
    with idx.searcher() as s:
        q = build_query("系统")
        assert ranking.ranked(s, q, set(), None).total == 0
        assert ranking.count(s, q, set()) == 0
        assert services.search_entries("系统", {"status": "nope"}).total == 0
