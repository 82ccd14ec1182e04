"""The index log with several nodes: every index reads every change from its own cursor, including changes
committed out of id order; rows are pruned behind every live index; a node the horizon overtook, or whose
database was restored from a backup, rebuilds itself."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import create_app
from portal.catalogue import services as catalogue_services
from portal.core.outbox import IndexChange
from portal.core.timeutil import utcnow
from portal.search import cursor as cursor_file
from portal.search import index as idx
from portal.search import indexer, services
from portal.search.cursor import GRACE_SECONDS, Cursor
from portal.search.models import SearchIndexCursor
from tests.factories_search import build_examples


@pytest.fixture
def ex(world, app, db):
    """The examples, published long enough ago that no transaction can still be writing below their ids."""
    examples = build_examples(world)
    db.session.execute(db.update(IndexChange).values(created_at=utcnow() - timedelta(seconds=GRACE_SECONDS + 1)))
    db.session.commit()
    indexer.rebuild(app)
    return examples


@pytest.fixture
def node_b(app_config, tmp_path):
    """A second app node on the same database, with an index folder of its own."""
    return create_app({**app_config, "PORTAL_SEARCH_INDEX_DIR": str(tmp_path / "node-b-index")})


def on(node, fn, *args, **kwargs):
    with node.app_context():
        return fn(*args, **kwargs)


def names(text):
    return sorted(i["product_name"] for i in services.search_entries(text, {}, per_page=50).items)


def _delist(db, world, entry):
    world.delist(entry)
    db.session.commit()


def _delist_logged_as(monkeypatch, world, entry, log_id):
    """Delist through the service, its index change taking log id `log_id` (as a transaction that got its id
    earlier or later than another would)."""
    monkeypatch.setattr(
        catalogue_services,
        "queue",
        lambda kind, doc_id: world.db.session.add(IndexChange(id=log_id, doc_type=kind, doc_id=doc_id)),
    )
    world.delist(entry)


def _log_rows(db) -> int:
    return db.session.scalar(db.select(db.func.count(IndexChange.id)))


def test_every_node_applies_every_change(app, db, ex, world, node_b):
    assert on(node_b, indexer.apply_pending, node_b) is not None  # node B builds its index
    assert on(node_b, names, "动脉瓣") == ["经导管主动脉瓣膜系统"]
    _delist(db, world, ex["tavi"])
    assert indexer.apply_pending(app) == 1  # node A first: it used to delete the row here
    assert on(node_b, indexer.pending_count, node_b) == 1
    assert on(node_b, indexer.apply_pending, node_b) == 1
    assert names("动脉瓣") == on(node_b, names, "动脉瓣") == []


def test_a_change_committed_out_of_id_order_is_not_missed(app, db, ex, world, monkeypatch):
    """PostgreSQL hands out ids when rows are inserted, not when they commit: id 10 may appear after id 11."""
    top = db.session.scalar(db.select(db.func.max(IndexChange.id))) or 0
    _delist_logged_as(monkeypatch, world, ex["tavi"], top + 2)
    db.session.commit()
    assert indexer.apply_pending(app) == 1
    _delist_logged_as(monkeypatch, world, ex["coil"], top + 1)  # the slower transaction, holding top + 1, commits now
    db.session.commit()
    assert indexer.pending_count() == 1
    assert indexer.apply_pending(app) == 1
    assert names("动脉瓣") == [] and "头部线圈" not in names("线圈")


def test_rows_are_pruned_only_behind_every_live_index(app, db, ex, world, node_b):
    on(node_b, indexer.apply_pending, node_b)
    indexer.apply_pending(app)
    indexer.prune(app)
    assert _log_rows(db) == 0  # both have applied everything
    _delist(db, world, ex["tavi"])
    indexer.apply_pending(app)
    indexer.prune(app)
    assert _log_rows(db) == 1  # node B has not read it yet
    on(node_b, indexer.apply_pending, node_b)
    indexer.prune(app)
    assert _log_rows(db) == 0


def test_a_node_the_horizon_overtook_rebuilds_itself(app, db, ex, world, node_b):
    on(node_b, indexer.apply_pending, node_b)
    b_id = on(node_b, idx.index_id, node_b)
    old_generation = on(node_b, idx.current_dir, node_b)
    _delist(db, world, ex["tavi"])
    indexer.apply_pending(app)
    # Node B was stopped for two days; its change rows are long gone.
    db.session.get(SearchIndexCursor, b_id).seen_at = utcnow() - timedelta(days=2)
    db.session.get(IndexChange, db.session.scalar(db.select(db.func.max(IndexChange.id)))).created_at = (
        utcnow() - timedelta(days=2)
    )
    db.session.commit()
    indexer.prune(app)
    assert _log_rows(db) == 0 and db.session.get(SearchIndexCursor, b_id) is None
    assert on(node_b, indexer.apply_pending, node_b) == len(ex)  # rebuilt: every document
    assert on(node_b, idx.current_dir, node_b) != old_generation
    assert on(node_b, names, "动脉瓣") == []
    assert db.session.get(SearchIndexCursor, b_id) is not None


def test_a_restored_database_makes_the_index_rebuild(app, db, ex, world):
    indexer.apply_pending(app)
    _delist(db, world, ex["tavi"])
    indexer.apply_pending(app)
    generation = idx.current_dir(app)
    # The backup was taken before that change: the cursor row (and the id sequence) went back with it.
    db.session.get(SearchIndexCursor, idx.index_id(app)).position -= 1
    db.session.commit()
    indexer.apply_pending(app)
    assert idx.current_dir(app) != generation
    row = db.session.get(SearchIndexCursor, idx.index_id(app))
    assert cursor_file.load(idx.current_dir(app)).position == row.position


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(1, 16))), st.lists(st.integers(0, 15), max_size=8))
def test_a_cursor_applies_each_id_once_whatever_the_commit_order(order, polls):
    cursor, applied, committed = Cursor(), [], set()
    for step, change_id in enumerate(order):
        committed.add(change_id)
        if step in polls or step == len(order) - 1:
            new = [i for i in sorted(committed) if i > cursor.position and cursor.is_new(i)]
            applied += new
            cursor.advance(new, now=0.0)
    assert sorted(applied) == list(range(1, 16)) and len(applied) == 15
    assert cursor.position == 15 and cursor.gaps == []


def test_a_gap_that_never_fills_is_given_up_after_the_grace_period():
    cursor = Cursor()
    cursor.advance([1, 2, 4], now=100.0)  # 3 rolled back, or still running
    assert cursor.position == 2 and cursor.is_new(3) and not cursor.is_new(4)
    cursor.advance([], now=100.0 + GRACE_SECONDS + 1)
    assert cursor.position == 4 and cursor.gaps == []
