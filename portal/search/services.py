"""Search services: the public catalogue search, reviewers' application search, exports, synonyms.

Searching never fails because of the index: when it is missing or unreadable the database answers with a
plain substring search (no facets) and the page says the index is being rebuilt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import and_, false, func, or_, select

from portal.accounts.models import Role
from portal.catalogue.models import Batch, Catalogue, Entry, EntryStatus
from portal.core.inputs import parse_int
from portal.core.paging import PageNumbers
from portal.extensions import db
from portal.products.identifiers import normalise
from portal.products.models import DeviceClass, InnovativeReview, ProductType
from portal.search import facets, indexer, ranking
from portal.search import index as idx
from portal.search.query import build_query, highlight, needles, synonym_map, synonyms_stamp, words_of
from portal.search.visibility import PUBLIC_STATUSES, application_scope, public_allowed

log = logging.getLogger(__name__)

SORTS = {"relevance": "相关度", "date": "入目录日期"}
MAX_PER_PAGE = 200
EXPORT_LIMIT = 50_000

# Facet name → heading shown to people.
FACET_LABELS = {
    "catalogue": "目录",
    "batch": "批次",
    "key_area": "重点领域",
    "device_class": "管理类别",
    "category": "产品类别",
    "department": "适用科室",
    "district": "企业所在区",
    "innovative": "创新特别审查",
    "status": "状态",
}
FACET_ORDER = ("catalogue", "batch", "key_area", "category", "device_class", "department", "district", "innovative")
FACET_ORDER_ALL = (*FACET_ORDER, "status")


@dataclass
class SearchPage(PageNumbers):
    """A page of results, with the `pager` macro's numbers."""

    items: list[dict]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    suggestions: list[dict] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    fallback: bool = False  # the index was unavailable: database substring search, no facets
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # see _labels()
    # The index generation it was read from (None: not from the index): what a rendering of it is kept by.
    generation: tuple | None = field(default=None, repr=False)


# ---------------------------------------------------------------------------------------------------------
# Labels of facet values
# ---------------------------------------------------------------------------------------------------------


def _labels() -> dict[str, dict[str, str]]:
    """Labels of facet values by facet, and "codes": catalogue id → code (for links)."""
    catalogues = db.session.execute(select(Catalogue.id, Catalogue.name, Catalogue.code)).all()
    batches = db.session.execute(select(Batch.id, Batch.name, Batch.catalogue_id)).all()
    multi = len(catalogues) > 1
    codes = {c.id: c.code for c in catalogues}
    return {
        "codes": {str(c.id): c.code for c in catalogues},
        "catalogue": {str(c.id): c.name for c in catalogues},
        "batch": {str(b.id): (f"{b.name}（{codes.get(b.catalogue_id, '')}）" if multi else b.name) for b in batches},
        "device_class": {m.value: m.label for m in DeviceClass},
        "category": {m.value: m.label for m in ProductType},
        "innovative": {m.value: m.label for m in InnovativeReview},
        "status": {m.value: m.label for m in EntryStatus},
    }


def _generation_labels(s) -> dict[str, dict[str, str]]:
    """_labels(), read once per index generation: catalogues and batches change with the entries indexed
    under them (the rows shown carry their names too), so the facets need not reload them per request."""
    cache = s._portal_caches
    if "labels" not in cache:
        cache["labels"] = _labels()
    return cache["labels"]


def facet_label(name: str, value: str, labels) -> str:
    return labels.get(name, {}).get(value, value)


# ---------------------------------------------------------------------------------------------------------
# Entry search
# ---------------------------------------------------------------------------------------------------------


def parse_filters(args) -> dict[str, str]:
    """Facet filters from request arguments: catalogue by code, batch by id, the rest by value."""
    chosen = {}
    for name in FACET_ORDER_ALL:
        value = (args.get(name) or "").strip()
        if not value:
            continue
        if name == "catalogue":
            cat_id = db.session.scalar(select(Catalogue.id).where(Catalogue.code == value[:32]))
            cat_id = cat_id if cat_id is not None else parse_int(value)
            chosen[name] = str(cat_id) if cat_id is not None else "0"
        else:
            chosen[name] = value
    return chosen


def search_entries(
    text: str = "",
    filters: dict[str, str] | None = None,
    *,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    facets: bool = True,
    suggest: bool = True,
) -> SearchPage:
    """Entries matching `text` and `filters` (index field → value). Delisted entries only when asked for
    with the status facet."""
    filters = dict(filters or {})
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    app = current_app._get_current_object()
    if indexer.ensure_current(app):
        try:
            return _search_index(text, filters, page, per_page, sort, facets, suggest)
        except idx.IndexUnavailable:
            pass
        except Exception:
            # An index from an older schema or a damaged one: rebuild it behind the scenes.
            log.exception("search failed on the index; answering from the database and rebuilding it")
            indexer.rebuild_in_background(app)
    return _search_sql(text, filters, page, per_page, sort)


def _allowed(s, filters: dict[str, str]) -> set[int]:
    # Whoosh reads an empty filter as "no filter at all": allow a document number that no document has instead.
    return public_allowed(s, filters) or {-1}


def _matching(s, q, allowed: set[int], scored: bool, limit: int | None) -> ranking.Ranked:
    """The best `limit` matches in order, a count, and every match (for the facets). Without words (or
    sorted by date): newest first, then the ranking's prior signals and id."""
    return (ranking.ranked if scored else ranking.by_date)(s, q, allowed, limit)


# Pages of results kept per index generation (and synonym table): a page only changes when they do, and
# popular queries repeat. About 30 kB each; cleared when full, like the filter cache.
RESULT_CACHE_SIZE = 128


def _search_index(text, filters, page, per_page, sort, want_facets, suggest) -> SearchPage:
    synonyms = synonym_map()
    key = (text, tuple(sorted(filters.items())), page, per_page, sort, want_facets, suggest, synonyms_stamp())
    with idx.searcher() as s:
        cache = s._portal_caches.setdefault("results", {})
        found = cache.get(key)
        if found is None:
            found = _page_of(s, text, filters, page, per_page, sort, want_facets, suggest, synonyms)
            if len(cache) >= RESULT_CACHE_SIZE:
                cache.clear()
            cache[key] = found
    items, total, facet_counts, suggestions, labels = found
    return SearchPage(
        items=[dict(item) for item in items],
        total=total,
        page=page,
        per_page=per_page,
        facets=facet_counts,
        filters=filters,
        suggestions=suggestions,
        marks=needles(text, synonyms),
        labels=labels,
        generation=s._portal_caches["generation"],
    )


def _page_of(s, text, filters, page, per_page, sort, want_facets, suggest, synonyms) -> tuple:
    q = build_query(text, synonyms)
    scored = bool(words_of(text)) and sort != "date"
    found = _matching(s, q, _allowed(s, filters), scored, page * per_page)
    items = [s.stored_fields(d)["data"] for d in found.docnums[(page - 1) * per_page :]]
    labels = _generation_labels(s)
    # Ranked matches come unordered; the unscored ones in their sorted order (which breaks facet ties).
    facet_counts = _facet_counts(s, found.matches, labels, ordered=not scored) if want_facets else {}
    suggestions = _suggestions(s, text, q, filters, labels) if found.total == 0 and suggest else []
    return items, found.total, facet_counts, suggestions, labels


def _facet_counts(s, docnums, labels, ordered: bool) -> dict[str, list[tuple[str, str, int]]]:
    """Counts per facet value over the matching documents (facets.py), largest first, then by label."""
    columns = {name: "departments" if name == "department" else name for name in FACET_ORDER_ALL}
    counted = facets.counts(s, docnums, list(columns.values()))
    out = {}
    for name, column in columns.items():
        rows = [(str(v), facet_label(name, str(v), labels), n) for v, n in counted[column].items()]
        if len({row[1:] for row in rows}) == len(rows):
            out[name] = sorted(rows, key=lambda t: (-t[2], t[1]))
        else:
            out[name] = _ties_in_match_order(s, column, rows, docnums if ordered else sorted(docnums))
    return out


def _ties_in_match_order(s, column, rows, docnums) -> list[tuple[str, str, int]]:
    """Rows with the same count and label in the order the matches (by document number, or as sorted when
    unscored) first hold their values, as when they were counted match by match (rare: two batches of one
    name, say)."""
    seen = facets.first_seen(docnums, idx.facet_columns(s, [column])[column], {v for v, _label, _n in rows})
    return sorted(rows, key=lambda t: (-t[2], t[1], seen[t[0]]))


def _count(s, q, filters) -> int:
    return ranking.count(s, q, _allowed(s, filters))


def _suggestions(s, text, q, filters, labels) -> list[dict]:
    """For an empty result: how many each active filter would give if dropped, then each word alone."""
    out = []
    for name, value in filters.items():
        rest = {k: v for k, v in filters.items() if k != name}
        n = _count(s, q, rest)
        if n:
            out.append(
                {
                    "kind": "filter",
                    "name": name,
                    "label": f"{FACET_LABELS[name]}：{facet_label(name, value, labels)}",
                    "count": n,
                }
            )
    words = words_of(text)
    if len(words) > 1:
        for word in words:
            n = _count(s, build_query(word), filters)
            if n:
                out.append({"kind": "word", "name": word, "label": word, "count": n})
    return out


def _search_sql(text, filters, page, per_page, sort) -> SearchPage:
    """Database fallback: every word a substring of one of the main columns (no facets, no synonyms)."""
    stmt = select(Entry).join(Catalogue)
    conds = []
    for word in words_of(text):
        like = f"%{word}%"
        code = f"%{normalise(word)}%"
        conds.append(
            or_(
                Entry.product_name.ilike(like),
                Entry.model.ilike(like),
                Entry.registration_no.ilike(code),
                Entry.manufacturer.ilike(like),
                Entry.description.ilike(like),
                Entry.indications.ilike(like),
            )
        )
    if "status" in filters:
        status = filters["status"]
        conds.append(Entry.status == EntryStatus(status) if status in PUBLIC_STATUSES else false())
    else:
        conds.append(Entry.status == EntryStatus.LISTED)
    for name, column in (("catalogue", Entry.catalogue_id), ("batch", Entry.batch_id)):
        if name in filters:
            wanted = parse_int(filters[name])
            conds.append(column == wanted if wanted is not None else false())
    for name, column in (
        ("key_area", Entry.key_area),
        ("device_class", Entry.device_class),
        ("category", Entry.product_type),
        ("innovative", Entry.innovative_review),
    ):
        if name in filters:
            conds.append(column == filters[name])
    stmt = stmt.where(and_(*conds)) if conds else stmt
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Entry.listed_on.desc(), Entry.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    items = [indexer.entry_doc(e)["data"] for e in rows]
    return SearchPage(
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        filters=filters,
        marks=needles(text),
        fallback=True,
        labels=_labels(),
    )


def api_item(data: dict) -> dict:
    """The public JSON shape of an entry (API items and `flask search query --json`)."""
    return {
        "id": data["id"],
        "product_name": data["product_name"],
        "model": data["model"],
        "registration_no": data["registration_no"],
        "manufacturer": data["manufacturer"],
        "catalogue": data["catalogue"],
        "batch": data["batch"],
        "category": data["key_area"],  # the action plan's key area, as in the assessments API
        "device_class": data["device_class"],
        "departments": list(data["departments"]),
        "innovative": data["innovative"] not in (None, "", "none"),
        "listed_on": data["listed_on"],
        "status": data["status"],
    }


def highlighted(item: dict, marks: list[str]) -> dict:
    """Markup versions of the fields a result row shows."""
    return {
        name: highlight(item.get(name) or "", marks)
        for name in ("product_name", "model", "registration_no", "manufacturer", "indications")
    } | {"departments": [highlight(d, marks) for d in item.get("departments") or []]}


# ---------------------------------------------------------------------------------------------------------
# Reviewers: applications of their catalogues
# ---------------------------------------------------------------------------------------------------------


def application_ids_matching(actor, text: str, catalogue_ids) -> list[int] | None:
    """Ids of applications in `catalogue_ids` (limited to the catalogues `actor` reviews; admins see all)
    that match `text`, best match first. None: search is unavailable (the caller may fall back)."""
    if actor is None or not actor.is_authenticated:
        return []
    allowed = {int(c) for c in catalogue_ids or []}
    if actor.role is Role.REVIEWER:
        allowed &= {c.id for c in actor.catalogues}
    elif actor.role is not Role.ADMIN:
        return []
    if not allowed:
        return []
    app = current_app._get_current_object()
    if not indexer.ensure_current(app):
        return None
    try:
        with idx.searcher() as s:
            found = ranking.ranked(s, build_query(text), set(s.docs_for_query(application_scope(allowed))), None)
            return [s.stored_fields(d)["doc_id"] for d in found.docnums]
    except Exception:
        log.exception("application search failed")
        return None


# ---------------------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    ("产品名称", "product_name"),
    ("型号规格", "model"),
    ("注册证编号", "registration_no"),
    ("注册人", "manufacturer"),
    ("目录", "catalogue_name"),
    ("批次", "batch"),
    ("产品类型", "category"),
    ("管理类别", "device_class"),
    ("重点领域", "key_area"),
    ("适用科室", "departments"),
    ("企业所在区", "district"),
    ("创新特别审查", "innovative"),
    ("入目录日期", "listed_on"),
    ("状态", "status"),
    ("适用范围", "indications"),
]


def export_rows(text: str, filters: dict[str, str]) -> list[list[str]]:
    """Header and rows (Chinese headers, labels not codes) of every entry matching the search."""
    result = search_entries(text, filters, page=1, per_page=MAX_PER_PAGE, facets=False, suggest=False)
    items = result.items
    if result.total > len(items):
        items = _all_items(text, filters, result)
    labels = result.labels
    rows = [[h for h, _ in EXPORT_COLUMNS]]
    for item in items:
        row = []
        for _h, key in EXPORT_COLUMNS:
            value = item.get(key)
            if key == "departments":
                value = "、".join(value or [])
            elif key in ("category", "device_class", "innovative", "status"):
                value = facet_label(key, value or "", labels) if value else ""
            row.append("" if value is None else str(value))
        rows.append(row)
    return rows


def _all_items(text, filters, first: SearchPage) -> list[dict]:
    if first.fallback:
        items = []
        for page in range(1, min(first.pages, EXPORT_LIMIT // MAX_PER_PAGE) + 1):
            items += _search_sql(text, filters, page, MAX_PER_PAGE, "relevance").items
        return items
    with idx.searcher() as s:
        found = _matching(s, build_query(text), _allowed(s, filters), bool(words_of(text)), EXPORT_LIMIT)
        return [dict(s.stored_fields(d)["data"]) for d in found.docnums]
