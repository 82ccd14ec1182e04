"""A rehearsal of the README's backup and restore on PostgreSQL: pg_dump, later changes, pg_restore into a
fresh database. Attachments come back with the data (they live in it); a node's search index notices that
the database went back in time and rebuilds itself, so search agrees with the restored data."""

import glob
import subprocess
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db as _db
from portal.products.models import AttachmentChunk
from portal.products.storage import store_pdf
from portal.search import index as idx
from portal.search import indexer, services
from tests.factories import PDF, make_pdf_upload
from tests.factories_search import build_examples

pytestmark = pytest.mark.postgres_only


def _pg_tool(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.skip(f"{name} is not installed")
    return found[-1]


@pytest.fixture
def pg(database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a PostgreSQL rehearsal")
    return url


@pytest.fixture
def restored_url(pg):
    name = f"restored_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield pg.set(database=name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _connection_args(url) -> list[str]:
    return ["-h", url.query.get("host", "localhost"), "-U", url.username, "-d", url.database]


def _names(text):
    return [i["product_name"] for i in services.search_entries(text, {}, per_page=50).items]


def test_backup_and_restore(app, db, world, pg, restored_url, app_config, tmp_path):
    ex = build_examples(world)
    indexer.rebuild(app)
    attachment_id = store_pdf(None, make_pdf_upload(), "注册证", company=world.company("上海测试医疗科技有限公司")).id
    db.session.commit()
    dump = tmp_path / "portal.dump"
    subprocess.run([_pg_tool("pg_dump"), "-Fc", "-f", str(dump), *_connection_args(pg)], check=True)

    # After the backup: a change reaches the database and this node's index.
    world.delist(ex["tavi"])
    db.session.commit()
    indexer.apply_pending(app)
    assert _names("动脉瓣") == []
    generation = idx.current_dir(app)

    restore = [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", *_connection_args(restored_url), str(dump)]
    subprocess.run(restore, check=True)
    restored = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": restored_url.render_as_string(False)})
    with restored.app_context():
        chunks = _db.session.scalars(
            sa.select(AttachmentChunk.data).where(AttachmentChunk.attachment_id == attachment_id).order_by("seq")
        )
        assert b"".join(chunks) == PDF  # the bytes came back with the rows
        indexer.apply_pending(restored)  # what the node's poller does on its next round
        assert idx.current_dir(restored) != generation  # rebuilt: the restored cursor row is behind the index
        assert _names("动脉瓣") == ["经导管主动脉瓣膜系统"]  # as it was at the backup
        _db.session.remove()
        _db.engine.dispose()
